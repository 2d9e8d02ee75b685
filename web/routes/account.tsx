// What a logged-in admin does with the login itself: log out, change the password. A changed
// password ends every session everywhere (the sessions compare the password version), and this
// browser gets a fresh one.

import { Hono } from "hono";
import { deleteCookie } from "hono/cookie";
import { AdminInputError, type AdminApi } from "../../src/admin/admin-api.js";
import type { AdminEnv } from "../app-env.js";
import { attempt } from "../auth/attempts.js";
import { SESSION_COOKIE, startSession, type AuthDeps } from "../auth/auth-deps.js";
import { readForm } from "../form.js";
import { navFor } from "../page-context.js";
import { PasswordPage } from "../pages/password-page.js";

export function accountRoutes(api: AdminApi, deps: AuthDeps): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();

  app.post("/logout", (c) => {
    deps.sessions.end(c.get("sessionToken"));
    deleteCookie(c, SESSION_COOKIE, { path: "/", secure: deps.secureCookies });
    return c.redirect("/login");
  });

  app.get("/password", (c) => c.html(<PasswordPage nav={navFor(c, api, "settings")} errors={{}} />));

  app.post("/password", async (c) => {
    const nav = navFor(c, api, "settings");
    const form = await readForm(c);
    const result = await attempt(c, deps, () => api.auth.verifyPassword(form.text("current")));
    if (result.kind === "blocked") return c.html(<PasswordPage nav={nav} errors={{ current: result.message }} />, 429);
    if (!result.ok) return c.html(<PasswordPage nav={nav} errors={{ current: "That is not the current password." }} />, 400);
    const password = form.text("password");
    if (password !== form.text("repeat")) return c.html(<PasswordPage nav={nav} errors={{ repeat: "The two new passwords differ." }} />, 400);
    try {
      await api.auth.setPassword(password);
    } catch (error) {
      if (error instanceof AdminInputError) return c.html(<PasswordPage nav={nav} errors={{ password: error.message }} />, 400);
      throw error;
    }
    startSession(c, deps).flash = "Password changed. Every other session has ended.";
    return c.redirect("/settings");
  });

  return app;
}
