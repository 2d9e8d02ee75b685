// The overview page and its live part.

import { Hono } from "hono";
import type { AdminApi } from "../../src/admin/admin-api.js";
import type { AdminEnv } from "../app-env.js";
import { navFor, takeFlash } from "../page-context.js";
import { OVERVIEW_LIVE_PATH, OverviewLive, OverviewPage } from "../pages/overview.js";
import type { RateMeter } from "../rate-meter.js";

export function overviewRoutes(api: AdminApi, rateMeter: RateMeter, now: () => number): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();

  const read = async () => {
    const status = await api.node();
    const at = now();
    return { status, now: at, rates: rateMeter.observe(at, status?.peers ?? []) };
  };

  app.get("/", async (c) =>
    c.html(<OverviewPage nav={navFor(c, api, "overview")} flash={takeFlash(c)} firstBoot={(await api.firstBoot?.()) ?? null} {...await read()} />));

  app.get(OVERVIEW_LIVE_PATH, async (c) => c.html(<OverviewLive {...await read()} />));

  return app;
}
