// The overview: this node, the coordinator connection in words, each peer's path, handshake,
// traffic and rate; the live fragment is the same content without the page around it.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { NodeStatus } from "../../src/mesh/node-status.js";
import { coordinatorText } from "../../web/pages/overview.js";
import { FAKE_NOW } from "../fakes/fake-admin-api.js";
import { harness } from "./admin-page-client.js";

test("the overview shows this node and each peer: address, path with its reason, handshake age, bytes", async () => {
  const { login } = harness();
  const client = await login();
  const html = await (await client.get("/")).text();
  assert.match(html, /<h2>gateway<\/h2>/);
  assert.match(html, /<dd>100\.64\.0\.1<\/dd>.*<dd>fd7a:115c:a1e0::1<\/dd>/);
  assert.match(html, /Connected to the coordinator at http:\/\/192\.168\.1\.2:8080 \(for 60 min\)/);
  assert.match(html, /<strong>laptop<\/strong>.*100\.64\.0\.2.*direct 192\.0\.2\.10:41641 · 3 ms.*42 s ago.*1\.0 MiB.*2\.0 KiB/);
  assert.match(html, /<strong>phone<\/strong>.*relay tcp http:\/\/192\.168\.1\.2:8080 · 40 ms.*behind a symmetric NAT.*never/);
  assert.match(html, /data-live-src="\/live\/overview" data-live-every="3"/);
});

test("the live fragment is the region's content alone, and shows a rate once two polls are apart", async () => {
  const { api, login, clock } = harness();
  const client = await login();
  const first = await (await client.get("/live/overview")).text();
  assert.doesNotMatch(first, /<html|<nav/);
  assert.match(first, /<td data-label="Rate" class="number">–<\/td>/);
  const status = api.status!;
  api.status = { ...status, peers: status.peers.map((peer) => (peer.name === "laptop" ? { ...peer, rxBytes: peer.rxBytes + 30_720, txBytes: peer.txBytes + 3072 } : peer)) };
  clock.now += 3000;
  const second = await (await client.get("/live/overview")).text();
  assert.match(second, /<strong>laptop<\/strong>.*↓ 10\.0 KiB\/s ↑ 1\.0 KiB\/s/);
  assert.match(second, /<strong>phone<\/strong>.*↓ 0 B\/s ↑ 0 B\/s/);
});

test("no node on this appliance, and a node not joined yet, are said in words", async () => {
  const { api, login } = harness();
  const client = await login();
  api.status = { ...api.status!, self: null, peers: [] };
  const waiting = await (await client.get("/")).text();
  assert.match(waiting, /This node \(not joined yet\)/);
  assert.match(waiting, /No peers yet/);
  api.status = null;
  assert.match(await (await client.get("/live/overview")).text(), /No mesh node runs on this appliance/);
});

test("each coordinator state reads as a sentence", () => {
  const url = "http://c:1";
  const cases: [NodeStatus["coordinator"]["state"], RegExp][] = [
    [{ kind: "connected", since: FAKE_NOW - 30_000 }, /^Connected to the coordinator at http:\/\/c:1 \(for 30 s\)\.$/],
    [{ kind: "connecting" }, /^Connecting to the coordinator at http:\/\/c:1…$/],
    [{ kind: "retrying", error: "timeout", retryInMs: 8000 }, /^No answer from the coordinator at http:\/\/c:1 \(timeout\); trying again in 8 s\. The mesh keeps running/],
    [{ kind: "cut-off", code: "key_expired", error: "the node key expired" }, /^Cut off by the coordinator: the node key expired\. This node needs to join again/],
  ];
  for (const [state, expected] of cases) assert.match(coordinatorText(url, state, FAKE_NOW), expected);
});

test("a failing node(): the page says the appliance failed (500), the fragment answers JSON, the cause is logged", async () => {
  const { api, login, logged } = harness();
  const client = await login();
  api.failNext = { method: "node", error: new Error("device gone") };
  const page = await client.get("/");
  assert.equal(page.status, 500);
  assert.match(await page.text(), /The appliance failed/);
  api.failNext = { method: "node", error: new Error("device gone") };
  const fragment = await client.get("/live/overview");
  assert.equal(fragment.status, 500);
  assert.deepEqual(await fragment.json(), { error: "internal", message: "the appliance failed to answer this request (its log says why)" });
  assert.equal(logged.length, 2);
  assert.doesNotMatch(JSON.stringify(await (await client.get("/")).text()), /device gone/, "the cause stays in the log");
});

test("names from the mesh are escaped, in pages and fragments", async () => {
  const { api, login } = harness();
  const client = await login();
  api.status = { ...api.status!, peers: [{ ...api.status!.peers[0]!, name: '<script>alert("x")</script>', pathReason: "<img src=x onerror=y>", path: "none" }] };
  for (const path of ["/", "/live/overview"]) {
    const html = await (await client.get(path)).text();
    assert.doesNotMatch(html, /<script>alert|<img src=x/, path);
    assert.match(html, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;/, path);
  }
});

test("meshgate.conf with errors: a warning lists every line and says nothing was applied; escaped; no inline script", async () => {
  const { api, login } = harness();
  const client = await login();
  assert.doesNotMatch(await (await client.get("/")).text(), /meshgate\.conf/, "no report, no notice");
  api.firstBootReport = {
    result: "error", at: "2026-01-15T11:00:00.000Z",
    errors: [
      { line: 3, field: "hostname", message: '"my_pi" is not a valid hostname: use letters, digits and "-"' },
      { line: 7, message: 'unknown setting "<b>x" (did you mean "hostname"?)' },
    ],
  };
  const response = await client.get("/");
  const html = await response.text();
  assert.match(html, /<p class="warning">meshgate\.conf on the SD card&#39;s boot partition has errors; nothing in it was applied:<\/p>/);
  assert.match(html, /<li>line 3 \(hostname\): &quot;my_pi&quot; is not a valid hostname: use letters, digits and &quot;-&quot;<\/li>/);
  assert.match(html, /<li>line 7: unknown setting &quot;&lt;b&gt;x&quot;/);
  assert.doesNotMatch(html, /<script>(?!<\/script>)[^<]/, "no inline script");
  assert.match(response.headers.get("content-security-policy") ?? "", /script-src 'self'/);
  assert.doesNotMatch(await (await client.get("/live/overview")).text(), /meshgate\.conf/, "the live region does not repeat it");
});

test("meshgate.conf applied: one line says what, and a step that failed is a warning", async () => {
  const { api, login } = harness();
  const client = await login();
  api.firstBootReport = { result: "applied", at: "2026-01-15T11:00:00.000Z", applied: ["hostname", "admin password", "ssh"], failed: [{ step: "wifi", message: "systemctl: not installed" }] };
  const html = await (await client.get("/")).text();
  assert.match(html, /Settings from meshgate\.conf applied at 2026-01-15 11:00:00 UTC: hostname, admin password, ssh\./);
  assert.match(html, /<p class="warning">wifi could not be applied: systemctl: not installed<\/p>/);
});
