// The board health page and its live part.

import { Hono } from "hono";
import type { AdminApi } from "../../src/admin/admin-api.js";
import type { AdminEnv } from "../app-env.js";
import { navFor, takeFlash } from "../page-context.js";
import { HEALTH_LIVE_PATH, HealthLive, HealthPage } from "../pages/health.js";

export function healthRoutes(api: AdminApi): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();
  app.get("/health", async (c) => c.html(<HealthPage nav={navFor(c, api, "health")} flash={takeFlash(c)} health={await api.health()} />));
  app.get(HEALTH_LIVE_PATH, async (c) => c.html(<HealthLive health={await api.health()} />));
  return app;
}
