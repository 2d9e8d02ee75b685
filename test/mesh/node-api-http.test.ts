// The node's local API: a routing change is applied or refused with the field and the reason.

import assert from "node:assert/strict";
import { test } from "node:test";
import { createNodeApiApp } from "../../src/mesh/node-api-http.js";
import type { NodeStatus } from "../../src/mesh/node-status.js";
import { changeRoutingPrefs, DEFAULT_ROUTING_PREFS, type RoutingPrefs } from "../../src/mesh/routing-prefs.js";

const status = { self: null, coordinator: { url: "http://c", state: { kind: "connecting" } }, interfaceName: "mg0", listenPort: 1, peers: [], drops: {}, relay: null } as NodeStatus;

function app(apply: (prefs: RoutingPrefs) => void = () => undefined) {
  let prefs = DEFAULT_ROUTING_PREFS;
  return {
    prefs: () => prefs,
    app: createNodeApiApp({
      status: () => status,
      async changePrefs(change) {
        const next = changeRoutingPrefs(prefs, change);
        apply(next);
        prefs = next;
        return prefs;
      },
    }),
  };
}

const post = (target: ReturnType<typeof app>, body: string) =>
  target.app.request("/v1/prefs", { method: "POST", body, headers: { "content-type": "application/json" } });

test("POST /v1/prefs applies a change and answers the new prefs", async () => {
  const node = app();
  const response = await post(node, JSON.stringify({ advertiseRoutes: ["192.168.1.0/24"], acceptRoutes: false }));
  assert.equal(response.status, 200);
  const body = (await response.json()) as { prefs: RoutingPrefs };
  assert.deepEqual(body.prefs.advertiseRoutes, ["192.168.1.0/24"]);
  assert.equal(node.prefs().acceptRoutes, false);
});

test("POST /v1/prefs: 400 naming the field for bad input, 409 when it cannot be applied; nothing changes", async () => {
  const node = app((prefs) => {
    if (prefs.exitNode === "unreachable") throw new Error("ip rule add failed: Operation not permitted");
  });
  for (const [body, field] of [["not json", "advertiseRoutes"], [JSON.stringify({ acceptRoutes: "yes" }), "acceptRoutes"], [JSON.stringify({ advertiseRoutes: ["10.0.0.1/8"] }), "advertiseRoutes"]] as const) {
    const response = await post(node, body);
    assert.equal(response.status, 400, body);
    const answer = (await response.json()) as { field: string; message: string };
    assert.equal(answer.field, field);
    assert.ok(answer.message.length > 10);
  }
  const failed = await post(node, JSON.stringify({ exitNode: "unreachable" }));
  assert.equal(failed.status, 409);
  assert.match(((await failed.json()) as { message: string }).message, /Operation not permitted/);
  assert.deepEqual(node.prefs(), DEFAULT_ROUTING_PREFS);
});
