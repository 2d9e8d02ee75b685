// A running node's local API (Hono, on a unix socket only root can open): what
// `meshgate status` reads.
//
//   GET /v1/status → NodeStatus (node-status.ts)

import { Hono } from "hono";
import type { NodeStatus } from "./node-status.js";

export function createNodeApiApp(status: () => NodeStatus): Hono {
  const app = new Hono();
  app.get("/v1/status", (c) => c.json(status()));
  app.notFound((c) => c.json({ error: "not_found", message: `no route ${c.req.method} ${c.req.path}` }, 404));
  return app;
}
