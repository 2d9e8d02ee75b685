// A running node's local API (Hono, on a unix socket only root can open): what
// `meshgate status`, `meshgate netcheck` and `meshgate set` call.
//
//   GET  /v1/status   → NodeStatus (node-status.ts)
//   GET  /v1/netcheck → NetcheckReport (src/nat/netcheck.ts)
//   POST /v1/prefs    {"advertiseRoutes":[…],"exitNode":"home",…} (any subset of RoutingPrefs)
//                     → 200 {"prefs":{…}} applied and saved; 400 {"error","field","message"}
//                     invalid, or 409 {"error","message"} when it could not be applied (the
//                     previous settings stay in force)
//   GET    /v1/devices           → {"devices":[DeviceView…]}   devices without meshgate it hosts
//   POST   /v1/devices {"name"}  → 201 {"view","config","fileName"} (the config holds the device's
//                                  private key: shown once, kept nowhere)
//   DELETE /v1/devices/:publicKey (URI-encoded base64) → 200 {"removed": name}
//   errors from the devices calls: NodeRequestError → its status with {"error","field?","message"}

import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { NetcheckReport } from "../nat/netcheck.js";
import type { NodeStatus } from "./node-status.js";
import { parseRoutingPrefsChange, RoutingPrefsError, type RoutingPrefs, type RoutingPrefsChange } from "./routing-prefs.js";

// A request the node refuses: 400 (bad input, naming the field) or 409 (not possible now).
export class NodeRequestError extends Error {
  override readonly name = "NodeRequestError";
  constructor(
    readonly status: 400 | 404 | 409,
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

// A device without meshgate this node hosts, as the node API, the CLI and the admin page show it.
export interface DeviceView {
  readonly name: string;
  readonly publicKey: string;
  readonly ipv4: string;
  readonly ipv6: string;
  readonly lastHandshakeAt: number | null;
  readonly rxBytes: number;
  readonly txBytes: number;
  readonly endpoint: string | null;
}

export interface NodeDevices {
  list(): DeviceView[];
  add(name: string): Promise<{ readonly view: DeviceView; readonly config: string; readonly fileName: string }>;
  remove(publicKey: string): Promise<DeviceView>;
}

export interface NodeApi {
  status(): NodeStatus;
  netcheck?(): NetcheckReport;
  // Applies a routing change; throws RoutingPrefsError (invalid) or another Error (not applied).
  changePrefs?(change: RoutingPrefsChange): Promise<RoutingPrefs>;
  readonly devices?: NodeDevices;
}

const refusal = (error: NodeRequestError) => ({ error: error.status === 400 ? "bad_request" : error.status === 404 ? "not_found" : "not_possible", ...(error.field === null ? {} : { field: error.field }), message: error.message });

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
  const devices = api.devices;
  if (devices !== undefined) {
    app.get("/v1/devices", (c) => c.json({ devices: devices.list() }));
    app.post("/v1/devices", async (c) => {
      const body = (await c.req.json().catch(() => null)) as { name?: unknown } | null;
      if (body === null || typeof body.name !== "string") return c.json({ error: "bad_request", field: "name", message: "give the device a name" }, 400);
      return c.json(await devices.add(body.name), 201);
    });
    app.delete("/v1/devices/:publicKey", async (c) => c.json({ removed: (await devices.remove(c.req.param("publicKey"))).name }));
  }
  app.onError((error, c) => {
    if (error instanceof NodeRequestError) return c.json(refusal(error), error.status);
    return c.json({ error: "internal", message: error.message }, 500);
  });
  app.notFound((c) => c.json({ error: "not_found", message: `no route ${c.req.method} ${c.req.path}` }, 404));
  return app;
}
