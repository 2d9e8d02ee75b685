// What the path manager refuses (forged, truncated, replayed, misdirected disco packets: dropped
// and counted, nothing sent, nothing changed), what it bounds, and how it explains a relay.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Endpoint } from "../../src/net/endpoint.js";
import { createDiscoKeyring } from "../../src/nat/disco-keyring.js";
import type { PathManager } from "../../src/nat/path-manager.js";
import { createFastestX25519 } from "../../src/wireguard/x25519.js";
import { createSeededRandom } from "../fakes/seeded-random.js";
import { cryptoCore, discoKind, PathNetwork, type SimNode } from "./path-network.js";

const ELSEWHERE: Endpoint = { host: "198.18.0.9", port: 999 };

// Pings sealed as `from` to `to`, with fresh txids (what `from`'s manager would send).
function pingsFrom(from: SimNode, to: SimNode, seed: number): () => Uint8Array {
  const ring = createDiscoKeyring({ crypto: cryptoCore(), x25519: createFastestX25519(), random: createSeededRandom(seed), self: from });
  ring.add(to.publicKey);
  return () => ring.seal(to.key, { type: "ping", txid: createSeededRandom(seed++).bytes(12) })!;
}

function nonZeroDrops(manager: PathManager): Record<string, number> {
  return Object.fromEntries(Object.entries(manager.drops()).filter(([, count]) => count > 0));
}

function pair(seed: number): { net: PathNetwork; a: SimNode; b: SimNode } {
  const net = new PathNetwork(seed);
  const a = net.addNode("a");
  const b = net.addNode("b");
  net.setRelays({ tcp: true });
  net.netmap();
  net.startTraffic(a, b);
  net.startTraffic(b, a);
  net.runFor(1_000);
  return { net, a, b };
}

describe("disco packets that do not count", () => {
  test("replayed, truncated, forged, unknown-sender, relayed and misattributed packets are dropped, counted, and answered by nothing", () => {
    const { net, a, b } = pair(31);
    const toB = net.delivered.filter((d) => d.to === b && d.via.kind === "udp");
    const ping = toB.find((d) => discoKind(d.bytes) === "ping")!;
    const pong = toB.find((d) => discoKind(d.bytes) === "pong")!;
    const callMeMaybe = net.delivered.find((d) => d.to === b && discoKind(d.bytes) === "callMeMaybe")!;
    const stranger = new PathNetwork(99).addNode("stranger");
    const route = net.route(b, a);
    const forged = ping.bytes.slice();
    forged[70]! ^= 0x80;

    const attempts: [string, Uint8Array, Parameters<PathManager["handleDisco"]>[2]][] = [
      ["a ping again", ping.bytes, ping.via],
      ["a ping again, from elsewhere", ping.bytes, { kind: "udp", from: ELSEWHERE }],
      ["a pong again", pong.bytes, pong.via],
      ["a ping cut inside its header", ping.bytes.subarray(0, 40), ping.via],
      ["a ping cut inside its ciphertext", ping.bytes.subarray(0, 89), ping.via],
      ["a forged ping", forged, ping.via],
      ["a stranger's ping", pingsFrom(stranger, b, 5)(), { kind: "udp", from: ELSEWHERE }],
      ["a fresh ping through the relay", pingsFrom(a, b, 6)(), { kind: "tcp-relay", from: a.key }],
      ["a's callMeMaybe relayed as someone else's", callMeMaybe.bytes, { kind: "tcp-relay", from: stranger.key }],
    ];
    for (const [what, bytes, via] of attempts) assert.deepEqual(net.inject(b, bytes, via), [], what);
    assert.deepEqual(nonZeroDrops(b.manager), {
      replayedPing: 2,
      unexpectedPong: 1,
      malformed: 1,
      notAuthentic: 2,
      unknownSender: 1,
      relayedPingOrPong: 1,
      relaySourceMismatch: 1,
    });
    assert.deepEqual(net.route(b, a), route, "nothing changed");
    net.runFor(10_000);
    assert.ok(!b.sent.some((s) => s.to === "198.18.0.9:999"), "the replayed ping's address never became a candidate");
  });

  test("a pong after the ping's 5 s timeout does not count", () => {
    const net = new PathNetwork(32);
    const a = net.addNode("a");
    const b = net.addNode("b");
    net.setRelays({ tcp: true });
    net.netmap();
    net.latency.set("198.51.100.1:41641", 5_001); // b's pongs to a take longer than the timeout
    net.startTraffic(a, b);
    net.runFor(20_000);
    assert.equal(net.route(a, b).kind, "tcp-relay");
    assert.ok(a.manager.drops().unexpectedPong > 0);
  });

  test("one callMeMaybe a second is acted on (a relay can replay them)", () => {
    const { net, a, b } = pair(33);
    const callMeMaybe = net.delivered.find((d) => d.to === b && discoKind(d.bytes) === "callMeMaybe")!;
    net.runFor(2_000);
    assert.ok(net.inject(b, callMeMaybe.bytes, callMeMaybe.via).length > 0, "acted on: b pings a");
    assert.deepEqual(net.inject(b, callMeMaybe.bytes, callMeMaybe.via), []);
    assert.equal(b.manager.drops().callMeMaybeTooSoon, 1);
    assert.ok(a !== b);
  });
});

describe("bounds", () => {
  test("addresses learnt from pings are capped at 8 (the newest kept); the netmap's at 16", () => {
    const net = new PathNetwork(34);
    const a = net.addNode("a");
    const b = net.addNode("b");
    net.setRelays({ tcp: true });
    const many = Array.from({ length: 40 }, (_, i) => ({ host: `198.51.100.${100 + i}`, port: 41641 }));
    net.netmap(new Map([[a, many]]));
    const ping = pingsFrom(a, b, 7);
    for (let i = 0; i < 20; i++) net.inject(b, ping(), { kind: "udp", from: { host: `198.18.1.${i}`, port: 5000 } });
    net.runFor(1_000);
    net.startTraffic(b, a);
    const probeAt = net.now;
    net.runFor(1);
    const probed = new Set(b.sent.filter((s) => s.at === probeAt && s.kind === "ping").map((s) => s.to));
    const discovered = [...probed].filter((to) => to.startsWith("198.18.1."));
    assert.deepEqual(discovered.sort(), Array.from({ length: 8 }, (_, i) => `198.18.1.${12 + i}:5000`).sort());
    assert.equal(probed.size - discovered.length, 16);
  });

  test("answered ping txids are remembered up to a bound, newest kept", () => {
    const { net, a, b } = pair(35);
    const ping = pingsFrom(a, b, 8);
    const sent = Array.from({ length: 300 }, () => ping());
    for (const bytes of sent) net.inject(b, bytes, { kind: "udp", from: a.lanEndpoint });
    assert.deepEqual(net.inject(b, sent.at(-1)!, { kind: "udp", from: a.lanEndpoint }), [], "a recent one is a replay");
    assert.ok(net.inject(b, sent[0]!, { kind: "udp", from: a.lanEndpoint }).length > 0, "the oldest was forgotten (bounded memory)");
  });
});

describe("why not direct", () => {
  test("UDP blocked here", () => {
    const net = new PathNetwork(36);
    const a = net.addNode("a");
    const b = net.addNode("b");
    const c = net.addNode("c");
    a.udpBlocked = true;
    net.setRelays({ tcp: true });
    net.netmap();
    net.startTraffic(a, b);
    net.startTraffic(a, c);
    net.runFor(12_000);
    assert.equal(a.manager.status(b.publicKey).reason, "no pong from any peer yet (6 pings to 2 peers): UDP may be blocked on this network");
    assert.equal(a.manager.status(c.publicKey).path.kind, "tcp-relay");
  });

  test("UDP gets through one way only", () => {
    const net = new PathNetwork(37);
    const a = net.addNode("a");
    const b = net.addNode("b");
    const c = net.addNode("c");
    net.cut = (from, to) => from === a && to === b;
    net.setRelays({ tcp: true });
    net.netmap();
    net.startTraffic(a, b);
    net.startTraffic(b, a);
    net.startTraffic(a, c);
    net.runFor(12_000);
    assert.equal(a.manager.status(b.publicKey).reason, "its pings reach us, but none of its 1 endpoint answered ours in 3 probes: a firewall or NAT lets UDP through one way only");
  });

  test("not probed yet, and a peer with a low-order key", () => {
    const net = new PathNetwork(38);
    const a = net.addNode("a");
    const b = net.addNode("b");
    net.setRelays({ tcp: true });
    net.netmap();
    assert.equal(a.manager.status(b.publicKey).reason, "not probed yet: paths are probed while traffic flows to the peer");
    const lowOrder = new Uint8Array(32);
    a.manager.setPeers(net.now, [{ publicKey: lowOrder, candidates: [ELSEWHERE] }]);
    a.manager.onDataSent(net.now, lowOrder);
    net.runFor(10_000);
    assert.equal(a.manager.route(lowOrder).kind, "tcp-relay");
    assert.match(a.manager.status(lowOrder).reason!, /low-order point/);
    assert.equal(a.sent.filter((s) => s.at > 0).length, 0, "nothing can be sealed to it");
  });
});
