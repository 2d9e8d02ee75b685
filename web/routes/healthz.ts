// GET /healthz: open to anyone (no session, also before a password exists), for the image's
// health checks and monitors: 200 {"ok":true,"version":"0.1.1"} while the page answers at all.
// It says nothing an anonymous LAN visitor could not learn from the login page but the version.

import { Hono } from "hono";
import type { AdminApi } from "../../src/admin/admin-api.js";

export const HEALTHZ_PATH = "/healthz";

export function healthzRoutes(api: AdminApi): Hono {
  const app = new Hono();
  app.get(HEALTHZ_PATH, (c) => {
    c.header("Cache-Control", "no-store");
    return c.json({ ok: true, version: api.softwareVersion });
  });
  return app;
}
