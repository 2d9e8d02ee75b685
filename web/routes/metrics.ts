// GET /metrics for Prometheus: no session (a scraper has none) but the bearer token the
// Settings page shows, compared in constant time.

import { Hono } from "hono";
import type { AdminApi } from "../../src/admin/admin-api.js";
import { equalSecrets } from "../auth/equal-secrets.js";
import { EXPOSITION_CONTENT_TYPE, renderMetrics } from "../metrics-exposition.js";

export function metricsRoutes(api: AdminApi, now: () => number): Hono {
  const app = new Hono();
  app.get("/metrics", async (c) => {
    const presented = /^Bearer (.+)$/.exec(c.req.header("Authorization") ?? "")?.[1] ?? "";
    if (!equalSecrets(presented, api.metricsToken())) {
      return c.text("a bearer token is required: Authorization: Bearer <the token on the Settings page>\n", 401, { "WWW-Authenticate": 'Bearer realm="meshgate metrics"' });
    }
    const [status, nodes] = await Promise.all([api.node(), api.coordinator === null ? null : api.coordinator.listNodes()]);
    return c.body(renderMetrics(status, nodes, now()), 200, { "Content-Type": EXPOSITION_CONTENT_TYPE });
  });
  return app;
}
