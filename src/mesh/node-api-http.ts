// A running node's local API (Hono, on a unix socket only root can open): what
// `meshgate status` and `meshgate netcheck` read.
//
//   GET /v1/status   → NodeStatus (node-status.ts)
//   GET /v1/netcheck → NetcheckReport (src/nat/netcheck.ts)

import { Hono } from "hono";
import type { NetcheckReport } from "../nat/netcheck.js";
import type { NodeStatus } from "./node-status.js";

export function createNodeApiApp(status: () => NodeStatus, netcheck?: () => NetcheckReport): Hono {
  const app = new Hono();
  app.get("/v1/status", (c) => c.json(status()));
  if (netcheck !== undefined) app.get("/v1/netcheck", (c) => c.json(netcheck()));
  app.notFound((c) => c.json({ error: "not_found", message: `no route ${c.req.method} ${c.req.path}` }, 404));
  return app;
}
