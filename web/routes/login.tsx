// The routes open without a session: /setup (first run: the one-time code and a new password)
// and /login. Both count wrong secrets against the source address (auth/attempts.ts).

import { Hono } from "hono";
import { AdminInputError } from "../../src/admin/admin-api.js";
import type { AdminEnv } from "../app-env.js";
import { attempt } from "../auth/attempts.js";
import { startSession, type AuthDeps } from "../auth/auth-deps.js";
import { readForm } from "../form.js";
import { LoginPage, SetupPage } from "../pages/login-pages.js";

export function loginRoutes(deps: AuthDeps): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();
  const { auth } = deps;

  app.get("/setup", (c) => (auth.hasPassword() ? c.redirect("/login") : c.html(<SetupPage errors={{}} />)));

  // One first-run setup at a time: two requests holding the code must not both set a password
  // (the second would silently replace the first's while scrypt runs).
  let settingUp = false;
  app.post("/setup", async (c) => {
    if (auth.hasPassword()) return c.redirect("/login");
    if (settingUp) return c.html(<SetupPage errors={{ code: "A password is being set right now: log in once it is done." }} />, 409);
    const form = await readForm(c);
    const result = await attempt(c, deps, () => auth.checkSetupCode(form.text("code").trim()));
    if (result.kind === "blocked") return c.html(<SetupPage errors={{ code: result.message }} />, 429);
    if (!result.ok) return c.html(<SetupPage errors={{ code: "That is not the setup code this appliance printed." }} />, 403);
    const password = form.text("password");
    if (password !== form.text("repeat")) return c.html(<SetupPage errors={{ repeat: "The two passwords differ." }} />, 400);
    if (settingUp || auth.hasPassword()) return c.redirect("/login");
    settingUp = true;
    try {
      await auth.setPassword(password);
    } catch (error) {
      if (error instanceof AdminInputError) return c.html(<SetupPage errors={{ password: error.message }} />, 400);
      throw error;
    } finally {
      settingUp = false;
    }
    startSession(c, deps);
    return c.redirect("/");
  });

  app.get("/login", (c) => c.html(<LoginPage errors={{}} />));

  app.post("/login", async (c) => {
    const form = await readForm(c);
    const result = await attempt(c, deps, () => auth.verifyPassword(form.text("password")));
    if (result.kind === "blocked") return c.html(<LoginPage errors={{ password: result.message }} />, 429);
    if (!result.ok) return c.html(<LoginPage errors={{ password: "Wrong password." }} />, 401);
    startSession(c, deps);
    return c.redirect("/");
  });

  return app;
}
