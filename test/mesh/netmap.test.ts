// Applying netmap updates (node side; netmap-log.test.ts covers how the coordinator composes
// them), and the reconcile step that turns a netmap into device changes without touching peers
// that are already right.

import assert from "node:assert/strict";
import { test } from "node:test";
import { desiredPeers, reconcilePeers } from "../../src/mesh/desired-peers.js";
import { applyNetmapUpdate, type Netmap, type NetmapNode, type NetmapUpdate } from "../../src/mesh/netmap.js";
import type { PeerStatus } from "../../src/wireguard/device.js";
import { formatIpPrefix, parseIpPrefix } from "../../src/net/ip-prefix.js";

const key = (n: number): string => Buffer.alloc(32, n).toString("base64");
const node = (n: number, extra: Partial<NetmapNode> = {}): NetmapNode => ({
  nodeKey: key(n), name: `n${n}`, ipv4: `100.64.0.${n}`, ipv6: `fd00::6440:${n}`, endpoints: [`192.0.2.${n}:41641`], routes: [], online: true, keyExpiresAt: null, nat: null, relayPort: null, ...extra,
});
const map = (version: number, peers: NetmapNode[]): Netmap => ({ version, self: node(9), peers });

test("a delta of changed, new and gone peers rebuilds the map", () => {
  const before = map(4, [node(1), node(2), node(3)]);
  const after = map(7, [node(1), node(2, { endpoints: ["198.51.100.2:41641"] }), node(4)]);
  const update: NetmapUpdate = { kind: "delta", version: 7, baseVersion: 4, self: null, upsert: [after.peers[1]!, after.peers[2]!], remove: [key(3)] };
  const rebuilt = applyNetmapUpdate(before, update)!;
  assert.equal(rebuilt.version, 7);
  assert.deepEqual([...rebuilt.peers].sort((a, b) => a.name.localeCompare(b.name)), after.peers);
});

test("no previous map means a full one; a delta for another base does not apply", () => {
  const full: NetmapUpdate = { kind: "full", version: 3, self: node(9), peers: [node(1)] };
  const delta: NetmapUpdate = { kind: "delta", version: 6, baseVersion: 5, self: null, upsert: [node(1)], remove: [] };
  assert.equal(applyNetmapUpdate(map(4, []), delta), null, "base version mismatch");
  assert.equal(applyNetmapUpdate(null, delta), null, "nothing to apply to");
  assert.deepEqual(applyNetmapUpdate(null, full)?.peers, [node(1)]);
});

test("desired peers: mesh /32 and /128 plus the routes selected through them; broken entries are left out", () => {
  const netmap = map(1, [node(1, { routes: ["192.168.1.0/24", "10.9.0.0/16"] }), node(2, { nodeKey: "not-a-key" }), node(3, { ipv4: "300.1.1.1" })]);
  const peers = desiredPeers(netmap, new Map([[key(1), [parseIpPrefix("192.168.1.0/24")!]]]));
  assert.equal(peers.length, 1);
  assert.deepEqual(peers[0]!.allowedIps.map(formatIpPrefix), ["100.64.0.1/32", "fd00::6440:1/128", "192.168.1.0/24"]);
  assert.deepEqual(desiredPeers(netmap)[0]!.allowedIps.map(formatIpPrefix), ["100.64.0.1/32", "fd00::6440:1/128"], "a route nobody selected is not routed");
  assert.deepEqual(peers[0]!.endpoints, [{ host: "192.0.2.1", port: 41641 }]);
});

test("reconcile: add new, remove gone, leave unchanged peers alone, keep a roamed endpoint the netmap still lists", () => {
  const desired = desiredPeers(map(1, [node(1), node(2, { endpoints: ["192.0.2.2:41641", "198.51.100.2:41641"] }), node(3)]));
  const status = (n: number, endpoint: { host: string; port: number } | null, ips: string[]): PeerStatus => ({
    publicKey: Buffer.from(key(n), "base64"), presharedKey: null, endpoint, persistentKeepaliveSeconds: 0,
    allowedIps: ips.map((ip) => parseIpPrefix(ip)!), rxBytes: 0, txBytes: 0, lastHandshakeWallMs: null, handshakes: 1, hasSession: true, drops: {},
  });
  const current = [
    status(1, { host: "192.0.2.1", port: 41641 }, ["100.64.0.1/32", "fd00::6440:1/128"]), // already right
    status(2, { host: "198.51.100.2", port: 41641 }, ["fd00::6440:2/128", "100.64.0.2/32"]), // roamed to a listed endpoint
    status(5, null, ["100.64.0.5/32"]), // gone from the netmap
  ];
  const plan = reconcilePeers(desired, current);
  assert.deepEqual(plan.remove.map((k) => Buffer.from(k).toString("base64")), [key(5)]);
  assert.equal(plan.upsert.length, 1, "only the new peer changes");
  assert.equal(Buffer.from(plan.upsert[0]!.publicKey).toString("base64"), key(3));
  assert.equal(plan.upsert[0]!.replaceAllowedIps, true);
  assert.deepEqual(plan.upsert[0]!.endpoint, { host: "192.0.2.3", port: 41641 });

  const moved = reconcilePeers(desiredPeers(map(2, [node(1, { endpoints: ["203.0.113.1:41641"] })])), [current[0]!]);
  assert.deepEqual(moved.upsert, [{ publicKey: Uint8Array.from(Buffer.from(key(1), "base64")), endpoint: { host: "203.0.113.1", port: 41641 } }], "an endpoint the netmap no longer lists is replaced");
});

test("reconcile with a path layer: every peer's endpoint is its path endpoint (that very object), not roaming; set once", () => {
  const paths = new Map<string, { host: string; port: number }>();
  const pathOf = (peerKey: string) => paths.get(peerKey) ?? paths.set(peerKey, Object.freeze({ host: `100::${paths.size + 1}`, port: 1 })).get(peerKey)!;
  const desired = desiredPeers(map(1, [node(1), node(2)]));
  const first = reconcilePeers(desired, [], pathOf);
  assert.deepEqual(first.upsert.map((settings) => [settings.endpoint, settings.roaming]), [[pathOf(key(1)), false], [pathOf(key(2)), false]]);
  assert.equal(first.upsert[0]!.endpoint, pathOf(key(1)), "the same object: the packet loop recognises it by identity");
  const applied: PeerStatus[] = first.upsert.map((settings) => ({
    publicKey: settings.publicKey, presharedKey: null, endpoint: settings.endpoint!, persistentKeepaliveSeconds: 0,
    allowedIps: [...settings.allowedIps!], rxBytes: 0, txBytes: 0, lastHandshakeWallMs: null, handshakes: 0, hasSession: false, drops: {},
  }));
  assert.deepEqual(reconcilePeers(desired, applied, pathOf).upsert, [], "nothing changes once set");
});
