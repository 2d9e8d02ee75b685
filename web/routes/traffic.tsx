// The traffic page and the history its charts draw (JSON, as AdminApi.history gives it).

import { Hono, type Context } from "hono";
import { AdminInputError, type AdminApi, type HistoryRange } from "../../src/admin/admin-api.js";
import type { AdminEnv } from "../app-env.js";
import { navFor, takeFlash } from "../page-context.js";
import { HISTORY_API_PATH, HISTORY_RANGES, TrafficPage } from "../pages/traffic.js";

// The ?range= of the request (1h without one); another value is a 400 naming the field.
function rangeOf(c: Context): HistoryRange {
  const range = c.req.query("range") ?? "1h";
  const known = HISTORY_RANGES.find((candidate) => candidate === range);
  if (known === undefined) throw new AdminInputError("range", `range must be one of ${HISTORY_RANGES.join(", ")}`);
  return known;
}

export function trafficRoutes(api: AdminApi): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();
  app.get("/traffic", async (c) => c.html(<TrafficPage nav={navFor(c, api, "traffic")} flash={takeFlash(c)} history={await api.history(rangeOf(c))} />));
  app.get(HISTORY_API_PATH, async (c) => c.json(await api.history(rangeOf(c))));
  return app;
}
