// The coordinator's admin API (Hono), served on a unix socket only root can open: what
// `meshgate keys …`, `meshgate nodes …` and `meshgate routes …` call. Bodies are JSON; errors
// are a 4xx with {"error","message"} naming the problem.
//
//   GET    /v1/info                → coordinator key, control URL, counts
//   GET    /v1/keys                → {"keys":[…]}
//   POST   /v1/keys                {"reusable","ephemeral","expiresInSeconds","description","user"}
//                                  → 201 {"key":"mgauth1-…","info":{…}}  (the only time the key is shown)
//   DELETE /v1/keys/:id
//   GET    /v1/nodes               → {"nodes":[…]}
//   DELETE /v1/nodes/:ref          name or id
//   POST   /v1/nodes/:ref/expire
//   GET    /v1/routes              → {"routes":[{"node","nodeId","prefix","advertised","approved","primary","online"}…]}
//   POST   /v1/routes/approve      {"node": name or id, "routes": ["192.168.1.0/24",…] | "exit-node" | "all"}
//   POST   /v1/routes/reject       same body
//                                  → {"node","changed":[…],"unchanged":[…],"routes":[the node's routes after]}

import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ControlError } from "./control-protocol.js";
import type { AdminOperations } from "./admin-operations.js";
import type { RouteSelector } from "./route-admin.js";

export interface AdminInfo {
  readonly publicKey: string;
  readonly controlUrl: string;
}

class BadRequest extends Error {}

async function jsonObject(c: Context): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new BadRequest("the body must be a JSON object");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new BadRequest("the body must be a JSON object");
  return body as Record<string, unknown>;
}

// A report's bounds (control-protocol.ts): 64 subnet routes and the two exit routes.
const MAX_SELECTED_ROUTES = 66;

function routeRequest(body: Record<string, unknown>): { node: string; selector: RouteSelector } {
  const node = body["node"];
  if (typeof node !== "string" || node === "" || node.length > 253) throw new BadRequest("node must be a node's name or id");
  const routes = body["routes"];
  if (routes === "all" || routes === "exit-node") return { node, selector: routes };
  const isList = Array.isArray(routes) && routes.length > 0 && routes.length <= MAX_SELECTED_ROUTES && routes.every((route) => typeof route === "string" && route.length <= 64);
  if (!isList) throw new BadRequest(`routes must be a list of 1 to ${MAX_SELECTED_ROUTES} CIDR prefixes, "exit-node" or "all"`);
  return { node, selector: routes as string[] };
}

function optionalBoolean(body: Record<string, unknown>, field: string): boolean {
  const value = body[field] ?? false;
  if (typeof value !== "boolean") throw new BadRequest(`${field} must be true or false`);
  return value;
}

export function createAdminApp(coordinator: AdminOperations, info: AdminInfo): Hono {
  const app = new Hono();
  app.use("*", bodyLimit({ maxSize: 16 * 1024, onError: (c) => c.json({ error: "too_large", message: "request body over 16 KiB" }, 413) }));

  app.get("/v1/info", (c) =>
    c.json({ ...info, nodes: coordinator.listNodes().length, keys: coordinator.listAuthKeys().filter((key) => key.usable).length }),
  );

  app.get("/v1/keys", (c) => c.json({ keys: coordinator.listAuthKeys() }));

  app.post("/v1/keys", async (c) => {
    const body = await jsonObject(c);
    const expires = body["expiresInSeconds"] ?? null;
    if (expires !== null && !(Number.isInteger(expires) && (expires as number) > 0)) {
      throw new BadRequest("expiresInSeconds must be a positive whole number of seconds, or absent for no expiry");
    }
    const description = body["description"] ?? "";
    const user = body["user"] ?? "admin";
    if (typeof description !== "string" || description.length > 200) throw new BadRequest("description must be text of at most 200 characters");
    if (typeof user !== "string" || !/^[a-z0-9][a-z0-9._-]{0,62}$/i.test(user)) throw new BadRequest("user must be a name of letters, digits, . _ -");
    const created = coordinator.createAuthKey({
      reusable: optionalBoolean(body, "reusable"),
      ephemeral: optionalBoolean(body, "ephemeral"),
      expiresInMs: expires === null ? null : (expires as number) * 1000,
      description,
      user,
    });
    return c.json({ key: created.key, info: created.view }, 201);
  });

  app.delete("/v1/keys/:id", (c) => {
    coordinator.revokeAuthKey(c.req.param("id"));
    return c.json({ revoked: c.req.param("id") });
  });

  app.get("/v1/nodes", (c) => c.json({ nodes: coordinator.listNodes() }));
  app.delete("/v1/nodes/:ref", (c) => c.json({ removed: coordinator.removeNode(c.req.param("ref")) }));
  app.post("/v1/nodes/:ref/expire", (c) => c.json({ expired: coordinator.expireNode(c.req.param("ref")) }));

  app.get("/v1/routes", (c) => c.json({ routes: coordinator.listRoutes() }));
  app.post("/v1/routes/approve", async (c) => {
    const { node, selector } = routeRequest(await jsonObject(c));
    return c.json(coordinator.approveRoutes(node, selector));
  });
  app.post("/v1/routes/reject", async (c) => {
    const { node, selector } = routeRequest(await jsonObject(c));
    return c.json(coordinator.rejectRoutes(node, selector));
  });

  app.notFound((c) => c.json({ error: "not_found", message: `no route ${c.req.method} ${c.req.path}` }, 404));
  app.onError((error, c) => {
    if (error instanceof BadRequest) return c.json({ error: "bad_request", message: error.message }, 400);
    if (error instanceof ControlError) return c.json(error.toJSON(), error.status);
    return c.json({ error: "internal", message: error.message }, 500);
  });
  return app;
}
