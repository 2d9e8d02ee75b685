// `meshgate status`: the table is readable at a glance and built from netmap + device.

import assert from "node:assert/strict";
import { test } from "node:test";
import { buildNodeStatus, formatAge, formatBytes, formatNodeStatus, routingLines, type PathView, type RoutingView } from "../../src/mesh/node-status.js";
import { DEFAULT_ROUTING_PREFS } from "../../src/mesh/routing-prefs.js";
import type { Netmap } from "../../src/mesh/netmap.js";

const key = (n: number): string => Buffer.alloc(32, n).toString("base64");
const netmap: Netmap = {
  version: 3,
  self: { nodeKey: key(9), name: "gateway", ipv4: "100.64.0.9", ipv6: "fd00::6440:9", endpoints: [], routes: [], online: true, keyExpiresAt: null, nat: null, relayPort: null },
  peers: [
    { nodeKey: key(2), name: "phone", ipv4: "100.64.0.2", ipv6: "fd00::6440:2", endpoints: [], routes: [], online: false, keyExpiresAt: null, nat: null, relayPort: null },
    { nodeKey: key(1), name: "desk", ipv4: "100.64.0.1", ipv6: "fd00::6440:1", endpoints: [], routes: [], online: true, keyExpiresAt: null, nat: null, relayPort: null },
  ],
};

test("status merges the netmap with the device's view and prints an aligned table", () => {
  const now = Date.UTC(2026, 0, 1, 12);
  const status = buildNodeStatus(
    netmap,
    [{ publicKey: Buffer.alloc(32, 1), presharedKey: null, endpoint: { host: "192.0.2.1", port: 41641 }, persistentKeepaliveSeconds: 0, allowedIps: [], rxBytes: 2_500_000, txBytes: 1500, lastHandshakeWallMs: now - 12_000, handshakes: 3, hasSession: true, drops: {} }],
    { url: "http://192.0.2.100:8080", state: { kind: "connected", since: now } },
    "meshgate0",
    41641,
  );
  const text = formatNodeStatus(status, now);
  assert.equal(
    text,
    [
      "gateway  100.64.0.9  fd00::6440:9  — connected to http://192.0.2.100:8080",
      "",
      "PEER   MESH IP     PATH                    HANDSHAKE  RX       TX       STATE",
      "desk   100.64.0.1  direct 192.0.2.1:41641  12s ago    2.4 MiB  1.5 KiB  online",
      "phone  100.64.0.2  -                       never      0 B      0 B      offline",
    ].join("\n"),
  );
});

test("with a path layer: relayed peers show their relay, and why not direct under the table", () => {
  const now = Date.UTC(2026, 0, 1, 12);
  const paths: Record<string, PathView> = {
    [key(1)]: { path: "direct", endpoint: "11.0.0.11:41641", relay: null, rttMs: 3.4, pathReason: null },
    [key(2)]: { path: "relay", endpoint: null, relay: "tcp http://11.0.0.2:8080", rttMs: 21, pathReason: "both ends behind NATs that change the port per destination, and no port mapping" },
  };
  const online = { ...netmap, peers: netmap.peers.map((peer) => ({ ...peer, online: true })) };
  const status = buildNodeStatus(online, [], { url: "http://11.0.0.2:8080", state: { kind: "connected", since: now } }, "meshgate0", 41641, (k) => paths[k] ?? null);
  const json = JSON.parse(JSON.stringify(status)) as { peers: Record<string, unknown>[] };
  assert.deepEqual(json.peers.map((peer) => [peer["name"], peer["path"], peer["endpoint"], peer["relay"], peer["pathReason"]]), [
    ["desk", "direct", "11.0.0.11:41641", null, null],
    ["phone", "relay", null, "tcp http://11.0.0.2:8080", paths[key(2)]!.pathReason],
  ]);
  const text = formatNodeStatus(status, now);
  assert.match(text, /desk +100\.64\.0\.1 +direct 11\.0\.0\.11:41641 \(3 ms\)/);
  assert.match(text, /phone +100\.64\.0\.2 +relay tcp http:\/\/11\.0\.0\.2:8080 \(21 ms\)/);
  assert.match(text, /\nphone: relayed — both ends behind NATs that change the port per destination, and no port mapping$/);
});

test("ages and sizes read naturally; a cut-off node says why", () => {
  assert.deepEqual([formatAge(null, 0), formatAge(0, 5_000), formatAge(0, 600_000), formatAge(0, 9 * 3_600_000)], ["never", "5s ago", "10m ago", "9h ago"]);
  assert.deepEqual([formatBytes(0), formatBytes(1023), formatBytes(1024), formatBytes(5 * 1024 ** 3)], ["0 B", "1023 B", "1.0 KiB", "5.0 GiB"]);
  const cut = buildNodeStatus(null, [], { url: "http://x", state: { kind: "cut-off", code: "not_registered", error: "removed by an admin" } }, "mg0", 1);
  assert.match(formatNodeStatus(cut, 0), /cut off by the coordinator: removed by an admin/);
});

test("routing lines: each advertised route's state with the command that approves it, routes in use and why not, the exit node", () => {
  const view: RoutingView = {
    prefs: { ...DEFAULT_ROUTING_PREFS, advertiseRoutes: ["192.168.1.0/24", "192.168.7.0/24=10.77.7.0/24", "10.9.0.0/16"], advertiseExitNode: true },
    approvedRoutes: ["10.9.0.0/16", "192.168.1.0/24"], primaryRoutes: ["192.168.1.0/24"], exitNodeApproved: false,
    subnetRoutes: [{ prefix: "10.50.0.0/24", via: "office", installed: true, reason: null }, { prefix: "192.168.1.0/24", via: "pib", installed: false, reason: "inside this node's own network 192.168.1.0/24" }],
    exitNode: null, error: null,
  };
  assert.deepEqual(routingLines(view, "pia"), [
    "advertising  192.168.1.0/24 (approved, primary)\n             192.168.7.0/24=10.77.7.0/24 (awaiting approval: meshgate routes approve pia 10.77.7.0/24)\n             10.9.0.0/16 (approved, standby: another router is primary)",
    "exit node    offered (awaiting approval: meshgate routes approve pia exit-node)",
    "routes       10.50.0.0/24 via office\n             192.168.1.0/24 via pib — not used: inside this node's own network 192.168.1.0/24",
  ]);
  const using = { ...view, prefs: { ...DEFAULT_ROUTING_PREFS, exitNode: "gw2" }, subnetRoutes: [], error: "nft: not found" };
  const exit = { requested: "gw2", name: "gw2", ipv4: "100.64.3.4", online: true, active: true, reason: null };
  assert.deepEqual(routingLines({ ...using, exitNode: exit }, "remote"), ["internet     through exit node gw2 (100.64.3.4)", "routing error: nft: not found"]);
  assert.match(routingLines({ ...using, exitNode: { ...exit, online: false, reason: "gw2 is offline" } }, "remote")[0]!, /^internet     blocked: gw2 is offline \(meshgate set --exit-node= goes straight out again\)$/);
  assert.deepEqual(routingLines({ ...view, prefs: DEFAULT_ROUTING_PREFS, subnetRoutes: [] }, "x"), [], "nothing set, nothing said");
});
