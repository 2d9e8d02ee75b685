// What every page handler takes from the request: the navigation (with the session's CSRF
// token for the logout form) and the message the last action left for this page.

import type { Context } from "hono";
import type { AdminApi } from "../src/admin/admin-api.js";
import type { AdminEnv } from "./app-env.js";
import type { Nav, Section } from "./pages/layout.js";

export function navFor(c: Context<AdminEnv>, api: AdminApi, active: Section | null): Nav {
  return { active, csrfToken: c.get("session").csrfToken, coordinator: api.coordinator !== null, devices: api.devices !== null };
}

/** The session's pending message, shown once. */
export function takeFlash(c: Context<AdminEnv>): string | null {
  const session = c.get("session");
  const flash = session.flash;
  session.flash = null;
  return flash;
}

/** After a change: back to `path`, where `message` says what happened. */
export function redirectWithFlash(c: Context<AdminEnv>, path: string, message: string): Response {
  c.get("session").flash = message;
  return c.redirect(path);
}
