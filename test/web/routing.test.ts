// The Routes page: this node's routing (status lines, the form, one changeRouting call or
// none) and the coordinator's route table with approve and reject.

import assert from "node:assert/strict";
import { test } from "node:test";
import { AdminStateError } from "../../src/admin/admin-api.js";
import { routeRows } from "../../web/pages/route-table.js";
import { harness, locationOf } from "./admin-page-client.js";

const FORM = { advertiseRoutes: "192.168.1.0/24\r\n192.168.2.0/24=10.77.2.0/24", snatSubnetRoutes: "on", acceptRoutes: "on", exitNode: "" };

test("the status lines say what this node's routing does now", async () => {
  const { api, login } = harness();
  const client = await login();
  const html = await (await client.get("/routes")).text();
  assert.match(html, /<li class="warning">Advertising <code>192\.168\.1\.0\/24<\/code>: waiting for approval on the coordinator.<\/li>/);
  assert.match(html, /<code>10\.0\.0\.0\/24<\/code> via laptop: not used \(inside this node&#39;s own network 10\.0\.0\.0\/16\)/);
  const routing = api.status!.routing!;
  api.status = {
    ...api.status!,
    routing: {
      ...routing,
      prefs: { ...routing.prefs, exitNode: "laptop", exitNodeAllowLanAccess: true },
      approvedRoutes: ["192.168.1.0/24"],
      primaryRoutes: ["192.168.1.0/24"],
      exitNode: { requested: "laptop", name: "laptop", ipv4: "100.64.0.2", online: true, active: true, reason: null },
      error: "ip rule failed",
    },
  };
  const later = await (await client.get("/routes")).text();
  assert.match(later, /<li>Advertising <code>192\.168\.1\.0\/24<\/code>: approved; the mesh routes it here.<\/li>/);
  assert.match(later, /Internet traffic: through exit node laptop \(100\.64\.0\.2\); the LAN stays reachable directly./);
  assert.match(later, /<li class="warning">Could not apply the routing: ip rule failed<\/li>/);
  assert.match(later, /<input id="exitNode" name="exitNode" type="text" value="laptop" list="peer-names"/);
});

test("the form: every field in one changeRouting call, unticked boxes false, then back to the page with a message", async () => {
  const { api, login } = harness();
  const client = await login();
  const response = await client.post("/routes", FORM);
  assert.equal(locationOf(response), "/routes");
  assert.deepEqual(api.calls, [
    `changeRouting ${JSON.stringify({
      advertiseRoutes: ["192.168.1.0/24", "192.168.2.0/24=10.77.2.0/24"],
      advertiseExitNode: false,
      snatSubnetRoutes: true,
      acceptRoutes: true,
      exitNode: null,
      exitNodeAllowLanAccess: false,
    })}`,
  ]);
  const page = await (await client.get("/routes")).text();
  assert.match(page, /Routing changed./);
  assert.match(page, /<textarea[^>]*>192\.168\.1\.0\/24\n192\.168\.2\.0\/24=10\.77\.2\.0\/24<\/textarea>/);
});

test("a refused field: 400, its reason beside it, the submitted values kept, nothing applied", async () => {
  const { api, login } = harness();
  const client = await login();
  const bad = await client.post("/routes", { ...FORM, advertiseRoutes: "192.168.1.0/24, my-lan" });
  assert.equal(bad.status, 400);
  const html = await bad.text();
  assert.match(html, /<p class="field-error" id="advertiseRoutes-error">--advertise-routes: &quot;my-lan&quot; is not an IPv4 prefix<\/p>/);
  assert.match(html, /<textarea[^>]*aria-describedby="advertiseRoutes-error">192\.168\.1\.0\/24\nmy-lan<\/textarea>/);
  const both = await client.post("/routes", { ...FORM, advertiseExitNode: "on", exitNode: "laptop" });
  assert.match(await both.text(), /id="exitNode-error">--exit-node and --advertise-exit-node exclude each other</);
  assert.deepEqual(api.calls, []);
  assert.deepEqual(api.status!.routing!.prefs.advertiseRoutes, ["192.168.1.0/24"]);
});

test("a change that cannot be applied now: 409 with the reason above the form", async () => {
  const { api, login } = harness();
  const client = await login();
  api.failNext = { method: "changeRouting", error: new AdminStateError("the node is restarting") };
  const response = await client.post("/routes", FORM);
  assert.equal(response.status, 409);
  assert.match(await response.text(), /<p class="form-error" role="alert">the node is restarting<\/p>/);
});

test("the route table: one row per subnet route, one 'exit node' row per exit node, approve where waiting", async () => {
  const { login } = harness();
  const client = await login();
  const html = await (await client.get("/routes")).text();
  assert.match(html, /gateway<\/td><td data-label="Route"><code>192\.168\.1\.0\/24<\/code><\/td><td data-label="Advertised">yes<\/td><td data-label="Approved" class="warning">no</);
  assert.match(html, /laptop<\/td><td data-label="Route">exit node<\/td>/);
  assert.equal(html.match(/exit node<\/td>/g)?.length, 1);
  assert.match(html, /<input type="hidden" name="node" value="2"\/><input type="hidden" name="route" value="exit-node"\/><button type="submit" class="small">Approve/);
});

test("approve and reject call the coordinator with the node's id and the route (or the exit node), then say what changed", async () => {
  const { api, login } = harness();
  const client = await login();
  assert.equal(locationOf(await client.post("/routes/approve", { node: "1", route: "192.168.1.0/24" })), "/routes");
  assert.match(await (await client.get("/routes")).text(), /gateway: approved 192\.168\.1\.0\/24\./);
  await client.post("/routes/approve", { node: "2", route: "exit-node" });
  assert.match(await (await client.get("/routes")).text(), /laptop: approved 0\.0\.0\.0\/0, ::\/0\./);
  await client.post("/routes/reject", { node: "1", route: "192.168.1.0/24" });
  assert.deepEqual(api.calls, ['approveRoutes 1 ["192.168.1.0/24"]', 'approveRoutes 2 "exit-node"', 'rejectRoutes 1 ["192.168.1.0/24"]']);
  assert.deepEqual(
    api.routes.map((route) => `${route.prefix} ${route.approved}`),
    ["192.168.1.0/24 false", "0.0.0.0/0 true", "::/0 true"],
  );
});

test("approve with a route the node does not advertise, or no node: 400 with the reason, nothing changed", async () => {
  const { api, login } = harness();
  const client = await login();
  const unknown = await client.post("/routes/approve", { node: "1", route: "10.9.0.0/16" });
  assert.equal(unknown.status, 400);
  assert.match(await unknown.text(), /<p class="form-error" role="alert">gateway does not advertise 10\.9\.0\.0\/16<\/p>/);
  const noNode = await client.post("/routes/approve", { node: "gateway", route: "192.168.1.0/24" });
  assert.equal(noNode.status, 400);
  assert.match(await noNode.text(), /Choose a route of the table./);
  assert.ok(api.routes.every((route) => !route.approved));
});

test("without a coordinator: no route table, and approve is not a route", async () => {
  const { login } = harness({ coordinator: false });
  const client = await login();
  const html = await (await client.get("/routes")).text();
  assert.doesNotMatch(html, /Mesh routes/);
  assert.match(html, /<form method="post" action="\/routes"/);
  assert.equal((await client.post("/routes/approve", { node: "1", route: "192.168.1.0/24" })).status, 404);
});

test("without a node: the page says so and offers no form", async () => {
  const { api, login } = harness();
  const client = await login();
  api.status = null;
  const html = await (await client.get("/routes")).text();
  assert.match(html, /No mesh node runs on this appliance./);
  assert.doesNotMatch(html, /action="\/routes"/);
});

test("routeRows merges a node's two exit routes: approved or primary only when both are", () => {
  const base = { node: "x", nodeId: 7, advertised: true, online: true };
  const rows = routeRows([
    { ...base, prefix: "0.0.0.0/0", approved: true, primary: true },
    { ...base, prefix: "::/0", approved: false, primary: false },
    { ...base, prefix: "10.0.0.0/8", approved: true, primary: false },
  ]);
  assert.deepEqual(rows, [
    { ...base, route: "exit-node", approved: false, primary: false },
    { ...base, route: "10.0.0.0/8", approved: true, primary: false },
  ]);
});
