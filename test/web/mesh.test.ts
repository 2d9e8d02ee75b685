// The Mesh page (coordinator only): nodes with their confirm-then-act removal and expiry,
// pre-auth keys created (the join command and its QR code shown once) and revoked, and the
// form's validation with nothing created on a refusal.

import assert from "node:assert/strict";
import { test } from "node:test";
import { AdminInputError, AdminStateError } from "../../src/admin/admin-api.js";
import { harness, locationOf } from "./admin-page-client.js";

test("the nodes table: online, key expiry, and links to the confirm pages; it is also the live fragment", async () => {
  const { login } = harness();
  const client = await login();
  const html = await (await client.get("/mesh")).text();
  assert.match(html, /<span class="badge offline">offline<\/span> <strong>phone<\/strong>/);
  assert.match(html, /<time datetime="2026-02-14T12:00:00.000Z">in 30 d<\/time>/);
  assert.match(html, /<a href="\/mesh\/nodes\/2\/expire">Expire…<\/a> <a href="\/mesh\/nodes\/2\/remove">Remove…<\/a>/);
  const fragment = await (await client.get("/live/mesh/nodes")).text();
  assert.match(fragment, /^<table class="responsive">/);
});

test("removing a node: the confirm page changes nothing, its button removes the node, the page says so", async () => {
  const { api, login } = harness();
  const client = await login();
  const confirm = await (await client.get("/mesh/nodes/2/remove")).text();
  assert.match(confirm, /<h1>Remove laptop\?<\/h1>/);
  assert.match(confirm, /<form method="post" action="\/mesh\/nodes\/2\/remove"/);
  assert.equal(api.nodes.length, 3);
  const done = await client.post("/mesh/nodes/2/remove");
  assert.equal(locationOf(done), "/mesh");
  assert.deepEqual(api.calls, ["removeNode 2"]);
  assert.deepEqual(api.nodes.map((node) => node.name), ["gateway", "phone"]);
  const page = await (await client.get("/mesh")).text();
  assert.match(page, /<p class="flash" role="status">laptop removed from the mesh.<\/p>/);
  assert.doesNotMatch(await (await client.get("/mesh")).text(), /class="flash"/, "the message is shown once");
  assert.equal((await client.get("/mesh/nodes/2/remove")).status, 404, "no confirm page for a node that is gone");
});

test("expiring a node's key through its confirm page", async () => {
  const { api, login } = harness();
  const client = await login();
  assert.match(await (await client.get("/mesh/nodes/3/expire")).text(), /<h1>Expire phone&#39;s key\?<\/h1>/);
  assert.equal(locationOf(await client.post("/mesh/nodes/3/expire")), "/mesh");
  assert.deepEqual(api.calls, ["expireNode 3"]);
  const page = await (await client.get("/mesh")).text();
  assert.match(page, /phone&#39;s key expired: it is cut off until it joins again./);
  assert.match(page, /class="warning"><time datetime="2026-01-15T12:00:00.000Z">expired 0 s ago/);
  assert.doesNotMatch(page, /href="\/mesh\/nodes\/3\/expire"/, "no expire link for an expired node");
});

test("an unknown node is a 400 with the admin interface's reason; a refused change is a 409", async () => {
  const { api, login } = harness();
  const client = await login();
  const unknown = await client.post("/mesh/nodes/99/remove");
  assert.equal(unknown.status, 400);
  assert.match(await unknown.text(), /no node &quot;99&quot;/);
  api.failNext = { method: "removeNode", error: new AdminStateError("the coordinator is shutting down") };
  const busy = await client.post("/mesh/nodes/2/remove");
  assert.equal(busy.status, 409);
  assert.match(await busy.text(), /the coordinator is shutting down/);
  assert.equal(api.nodes.length, 3);
});

test("creating a key: the request as chosen, then the key's join command and its QR code, shown once", async () => {
  const { api, login } = harness();
  const client = await login();
  const response = await client.post("/mesh/keys", { reusable: "on", ephemeral: "on", expires: "7d", description: "  Anna's laptop " });
  assert.equal(response.status, 200);
  assert.deepEqual(api.calls, [`createKey ${JSON.stringify({ reusable: true, ephemeral: true, expiresInSeconds: 604_800, description: "Anna's laptop" })}`]);
  const html = await response.text();
  assert.match(html, /This is the only time the key is shown/);
  assert.match(html, /<code class="join-command">meshgate up --coordinator http:\/\/192\.168\.1\.2:8080 --auth-key mgk-k00000002-secret<\/code>/);
  const qr = /<img class="qr" src="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="QR code of the join command for key k00000002"/.exec(html);
  assert.ok(qr !== null, "a QR code image");
  const svg = Buffer.from(qr[1]!, "base64").toString("utf8");
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 \d+ \d+"/);
  assert.match(svg, /<path stroke="#000000" d="M/, "with modules drawn");
  assert.doesNotMatch(svg, /<script|style=/);
  assert.match(html, /<code>k00000002<\/code><span class="muted block">Anna&#39;s laptop<\/span>/, "listed among the keys");
  const again = await (await client.get("/mesh")).text();
  assert.doesNotMatch(again, /mgk-k00000002-secret|join-command/, "not shown again");
});

test("the defaults: a one-off, non-ephemeral key for a day", async () => {
  const { api, login } = harness();
  const client = await login();
  await client.post("/mesh/keys", { expires: "1d", description: "" });
  assert.deepEqual(api.calls, [`createKey ${JSON.stringify({ reusable: false, ephemeral: false, expiresInSeconds: 86_400, description: "" })}`]);
  await client.post("/mesh/keys", { expires: "never" });
  assert.match(api.calls[1]!, /"expiresInSeconds":null/);
});

test("the key form's validation: the reason beside each field, the values kept, nothing created", async () => {
  const { api, login } = harness();
  const client = await login();
  const response = await client.post("/mesh/keys", { reusable: "on", expires: "1y", description: "x".repeat(101) });
  assert.equal(response.status, 400);
  const html = await response.text();
  assert.match(html, /id="expires-error">Choose one of: 1 hour, 1 day, 7 days, 30 days, 90 days, never.</);
  assert.match(html, /id="description-error">At most 100 characters \(this has 101\).</);
  assert.match(html, /<input type="checkbox" name="reusable" value="on" checked=""/);
  const control = await client.post("/mesh/keys", { expires: "1d", description: "two\nlines" });
  assert.match(await control.text(), /id="description-error">Only printable characters, on one line.</);
  assert.deepEqual(api.calls, []);
  api.failNext = { method: "createKey", error: new AdminInputError("expiresInSeconds", "longer than the coordinator allows") };
  const refused = await client.post("/mesh/keys", { expires: "90d" });
  assert.equal(refused.status, 400);
  assert.match(await refused.text(), /id="expires-error">longer than the coordinator allows</, "the interface's field, mapped to the form's");
  assert.equal(api.keys.length, 1);
});

test("revoking a key through its confirm page; the revoked key has no revoke link", async () => {
  const { api, login } = harness();
  const client = await login();
  assert.match(await (await client.get("/mesh/keys/kaaaa1111/revoke")).text(), /<h1>Revoke key kaaaa1111\?<\/h1>/);
  assert.equal(locationOf(await client.post("/mesh/keys/kaaaa1111/revoke")), "/mesh");
  assert.deepEqual(api.calls, ["revokeKey kaaaa1111"]);
  const page = await (await client.get("/mesh")).text();
  assert.match(page, /Key kaaaa1111 revoked./);
  assert.match(page, /<td data-label="State">revoked<\/td>/);
  assert.doesNotMatch(page, /\/mesh\/keys\/kaaaa1111\/revoke/);
  assert.equal((await client.post("/mesh/keys/kaaaa1111/revoke")).status, 400, "twice: the interface refuses");
});

test("without a coordinator there is no Mesh page: not in the navigation, 404 at its addresses", async () => {
  const { login } = harness({ coordinator: false });
  const client = await login();
  assert.doesNotMatch(await (await client.get("/")).text(), /href="\/mesh"/);
  for (const path of ["/mesh", "/mesh/nodes/2/remove", "/live/mesh/nodes"]) assert.equal((await client.get(path)).status, 404, path);
  assert.equal((await client.post("/mesh/keys", { expires: "1d" })).status, 404);
  const live = await client.get("/live/mesh/nodes");
  assert.equal(((await live.json()) as { error: string }).error, "not_found");
});
