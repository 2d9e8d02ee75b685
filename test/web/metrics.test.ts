// GET /metrics: the bearer token or 401; the text exposition's families and escaping; the
// token on the Settings page.

import assert from "node:assert/strict";
import { test } from "node:test";
import { renderMetrics } from "../../web/metrics-exposition.js";
import { FAKE_METRICS_TOKEN, FAKE_NOW } from "../fakes/fake-admin-api.js";
import { harness } from "./admin-page-client.js";

test("/metrics without the token, with a wrong one or another scheme: 401 asking for a bearer token", async () => {
  const { browser, login } = harness();
  const client = browser();
  for (const authorization of [undefined, "Bearer wrong", `Basic ${FAKE_METRICS_TOKEN}`, `Bearer ${FAKE_METRICS_TOKEN}x`, "Bearer "]) {
    const response = await client.get("/metrics", authorization === undefined ? {} : { Authorization: authorization });
    assert.equal(response.status, 401, String(authorization));
    assert.equal(response.headers.get("WWW-Authenticate"), 'Bearer realm="meshgate metrics"');
  }
  const session = await login();
  assert.equal((await session.get("/metrics")).status, 401, "a session is not the token");
});

test("/metrics with the token: per-peer bytes, handshakes and handshake age, drops by reason, coordinator nodes online", async () => {
  const { browser } = harness();
  const response = await browser().get("/metrics", { Authorization: `Bearer ${FAKE_METRICS_TOKEN}` });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const text = await response.text();
  const lines = text.split("\n");
  for (const expected of [
    "# TYPE meshgate_peer_receive_bytes_total counter",
    'meshgate_peer_receive_bytes_total{peer="laptop",mesh_ipv4="100.64.0.2"} 1048576',
    'meshgate_peer_transmit_bytes_total{peer="phone",mesh_ipv4="100.64.0.3"} 2048',
    "# TYPE meshgate_peer_last_handshake_age_seconds gauge",
    'meshgate_peer_last_handshake_age_seconds{peer="laptop",mesh_ipv4="100.64.0.2"} 42',
    "# TYPE meshgate_peer_handshakes_total counter",
    'meshgate_peer_handshakes_total{peer="laptop",mesh_ipv4="100.64.0.2"} 4',
    'meshgate_dropped_packets_total{reason="no_session"} 3',
    'meshgate_dropped_packets_total{reason="bad \\"mac\\""} 1',
    "meshgate_node_up 1",
    "meshgate_coordinator_nodes 3",
    "meshgate_coordinator_nodes_online 2",
  ]) {
    assert.ok(lines.includes(expected), `has: ${expected}\n${text}`);
  }
  assert.ok(!text.includes('handshake_age_seconds{peer="phone"'), "no sample for a peer that never shook hands");
  assert.ok(text.endsWith("\n"));
});

test("renderMetrics: no node, no coordinator; label values escaped", () => {
  assert.equal(renderMetrics(null, null, FAKE_NOW), "# HELP meshgate_node_up Whether a mesh node runs on this appliance.\n# TYPE meshgate_node_up gauge\nmeshgate_node_up 0\n");
  const peer = { name: 'a\\b"c\nd', ipv4: "100.64.0.9", rxBytes: 1, txBytes: 2, lastHandshakeAt: null } as const;
  const text = renderMetrics({ peers: [peer], drops: {} } as never, null, FAKE_NOW);
  assert.ok(text.includes('meshgate_peer_receive_bytes_total{peer="a\\\\b\\"c\\nd",mesh_ipv4="100.64.0.9"} 1'), text);
  assert.ok(!text.includes("coordinator"));
});

test("the Settings page shows the token and a scrape configuration for this address", async () => {
  const { login } = harness();
  const client = await login();
  const html = await (await client.get("http://192.168.1.2:8088/settings")).text();
  assert.match(html, new RegExp(`Token: <code class="secret">${FAKE_METRICS_TOKEN}</code>`));
  assert.match(html, /credentials: metrics-token-0123456789abcdef/);
  assert.match(html, /scheme: http\n/);
  assert.match(html, /targets: \[&quot;192\.168\.1\.2:8088&quot;\]/);
  assert.match(html, /<a href="\/password" class="button">Change the password<\/a>/);
});
