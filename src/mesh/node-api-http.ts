// A running node's local API (Hono, on a unix socket only root can open): what
// `meshgate status`, `meshgate netcheck` and `meshgate set` call.
//
//   GET  /v1/status   → NodeStatus (node-status.ts)
//   GET  /v1/netcheck → NetcheckReport (src/nat/netcheck.ts)
//   POST /v1/prefs    {"advertiseRoutes":[…],"exitNode":"home",…} (any subset of RoutingPrefs)
//                     → 200 {"prefs":{…}} applied and saved; 400 {"error","field","message"}
//                     invalid, or 409 {"error","message"} when it could not be applied (the
//                     previous settings stay in force)

import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { NetcheckReport } from "../nat/netcheck.js";
import type { NodeStatus } from "./node-status.js";
import { parseRoutingPrefsChange, RoutingPrefsError, type RoutingPrefs, type RoutingPrefsChange } from "./routing-prefs.js";

export interface NodeApi {
  status(): NodeStatus;
  netcheck?(): NetcheckReport;
  // Applies a routing change; throws RoutingPrefsError (invalid) or another Error (not applied).
  changePrefs?(change: RoutingPrefsChange): Promise<RoutingPrefs>;
}

export function createNodeApiApp(api: NodeApi): Hono {
  const app = new Hono();
  app.use("*", bodyLimit({ maxSize: 16 * 1024, onError: (c) => c.json({ error: "too_large", message: "request body over 16 KiB" }, 413) }));
  app.get("/v1/status", (c) => c.json(api.status()));
  if (api.netcheck !== undefined) {
    const netcheck = api.netcheck.bind(api);
    app.get("/v1/netcheck", (c) => c.json(netcheck()));
  }
  if (api.changePrefs !== undefined) {
    const changePrefs = api.changePrefs.bind(api);
    app.post("/v1/prefs", async (c) => {
      const body: unknown = await c.req.json().catch(() => undefined);
      try {
        return c.json({ prefs: await changePrefs(parseRoutingPrefsChange(body)) });
      } catch (error) {
        if (error instanceof RoutingPrefsError) return c.json({ error: "bad_request", field: error.field, message: error.message }, 400);
        return c.json({ error: "not_applied", message: error instanceof Error ? error.message : String(error) }, 409);
      }
    });
  }
  app.notFound((c) => c.json({ error: "not_found", message: `no route ${c.req.method} ${c.req.path}` }, 404));
  return app;
}
