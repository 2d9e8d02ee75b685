// The Settings page.

import { Hono } from "hono";
import type { AdminApi } from "../../src/admin/admin-api.js";
import type { AdminEnv } from "../app-env.js";
import { navFor, takeFlash } from "../page-context.js";
import { SettingsPage } from "../pages/settings.js";

export function settingsRoutes(api: AdminApi): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();
  app.get("/settings", (c) =>
    c.html(<SettingsPage nav={navFor(c, api, "settings")} flash={takeFlash(c)} metricsToken={api.metricsToken()} origin={new URL(c.req.url).origin} />),
  );
  return app;
}
