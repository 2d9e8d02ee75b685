// Which path a peer's packets take: the fastest live endpoint (switching only for a clear gain),
// kept alive by heartbeats while traffic flows, left alone when idle; which relay otherwise.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatEndpoint, type Endpoint } from "../../src/net/endpoint.js";
import type { Path } from "../../src/nat/path-manager.js";
import { HEARTBEAT_INTERVAL_MS, SESSION_ACTIVE_MS, TRUST_AFTER_PONG_MS } from "../../src/nat/path-timing.js";
import { PathNetwork } from "./path-network.js";

const directTo = (path: Path): string | null => (path.kind === "direct" ? formatEndpoint(path.endpoint) : null);
const UDP_RELAY: { relay: Endpoint; relayKey: string } = { relay: { host: "192.0.2.77", port: 3340 }, relayKey: "r".repeat(43) + "=" };

describe("path selection", () => {
  test("the lowest RTT wins; a working endpoint is replaced only by one at least 10 % faster", () => {
    const net = new PathNetwork(21);
    const a = net.addNode("a");
    const b = net.addNode("b");
    const alias: Endpoint = { host: "198.51.100.200", port: 41641 };
    b.aliases.push(alias);
    net.latency.set(formatEndpoint(alias), 12); // RTT 22 ms against 20 ms by b's main address
    net.setRelays({ tcp: true });
    net.netmap();
    net.startTraffic(a, b);
    net.runUntil(10_000);
    assert.deepEqual(net.route(a, b), { kind: "direct", endpoint: b.lanEndpoint, rttMs: 20 });
    net.latency.set(formatEndpoint(alias), 9); // RTT 19 ms: 5 % better
    net.runUntil(70_000); // a full re-probe at 60 s measured it
    assert.equal(directTo(net.route(a, b)), formatEndpoint(b.lanEndpoint), "5 % is not worth a switch");
    net.latency.set(formatEndpoint(alias), 7); // RTT 17 ms: 15 % better
    net.runUntil(130_000); // the re-probe at 120 s
    assert.deepEqual(net.route(a, b), { kind: "direct", endpoint: alias, rttMs: 17 });
    const switches = a.paths.filter((p) => p.path.kind === "direct").map((p) => [p.at, directTo(p.path)]);
    assert.deepEqual(switches, [[20, "198.51.100.2:41641"], [120_017, "198.51.100.200:41641"]]);
  });

  test("a multi-homed peer's pong from another address than the one pinged still counts", () => {
    const net = new PathNetwork(22);
    const a = net.addNode("a");
    const b = net.addNode("b");
    const alias: Endpoint = { host: "198.51.100.201", port: 41641 };
    b.aliases.push(alias);
    net.setRelays({ tcp: true });
    net.netmap(new Map([[b, [alias]]]));
    net.startTraffic(a, b);
    net.runFor(1_000);
    assert.equal(directTo(net.route(a, b)), formatEndpoint(alias), "b answers from its main address; a sends to the alias that works");
  });

  test("heartbeats keep a busy direct path without a single change, and stop when traffic does", () => {
    const net = new PathNetwork(23);
    const a = net.addNode("a");
    const b = net.addNode("b");
    net.setRelays({ tcp: true });
    net.netmap();
    net.startTraffic(a, b);
    net.runUntil(59_000);
    assert.deepEqual(a.paths.map((p) => p.path.kind), ["tcp-relay", "direct"]);
    const pings = a.sent.filter((s) => s.kind === "ping").map((s) => s.at);
    const gaps = pings.slice(1).map((at, i) => at - pings[i]!);
    assert.ok(Math.max(...gaps) <= HEARTBEAT_INTERVAL_MS, `pings every ≤ 3 s (${Math.max(...gaps)})`);
    assert.ok(pings.length <= 59_000 / HEARTBEAT_INTERVAL_MS + 2, `no more than heartbeats need (${pings.length})`);

    net.stopTraffic(a, b);
    const stoppedAt = net.now;
    net.runUntil(stoppedAt + SESSION_ACTIVE_MS + 10_000);
    const late = a.sent.filter((s) => s.at > stoppedAt + SESSION_ACTIVE_MS);
    assert.deepEqual(late, [], "nothing is sent to an idle peer");
    assert.equal(a.manager.nextDeadline(), null, "and nothing is scheduled");
    assert.equal(net.route(a, b).kind, "tcp-relay", "its trust lapsed: a relay until a pong again");
    assert.match(a.manager.status(b.publicKey).reason!, /^idle: its last pong is older than 6.5 s/);

    net.startTraffic(a, b);
    const resumed = net.now;
    net.runFor(100);
    assert.ok(net.route(a, b).kind === "direct", "traffic again: probed at once, direct a round trip later");
    assert.ok(a.sent.some((s) => s.at === resumed && s.kind === "ping"));
  });

  test("a node that only receives keeps its direct path in step with the sender's heartbeats, without flapping", () => {
    const net = new PathNetwork(27);
    const a = net.addNode("a");
    const b = net.addNode("b");
    net.setRelays({ tcp: true });
    net.netmap();
    net.startTraffic(a, b);
    net.runUntil(40_000);
    assert.deepEqual(b.paths.map((p) => [p.at, p.path.kind]), [[0, "tcp-relay"], [30, "direct"]]);
    const pings = b.sent.filter((s) => s.kind === "ping").length;
    assert.ok(pings <= 40_000 / HEARTBEAT_INTERVAL_MS + 1, `b pings no more than a heartbeat would (${pings})`);
  });

  test("an idle peer's direct path lapses to the relay at the trust time, once", () => {
    const net = new PathNetwork(24);
    const a = net.addNode("a");
    const b = net.addNode("b");
    net.setRelays({ tcp: true });
    net.netmap();
    net.startTraffic(a, b);
    net.runFor(50);
    net.stopTraffic(a, b);
    net.runFor(120_000);
    const direct = a.paths.find((p) => p.path.kind === "direct")!;
    const lapse = a.paths.at(-1)!;
    assert.equal(lapse.path.kind, "tcp-relay");
    // Heartbeats ran for SESSION_ACTIVE_MS after the last data (at 0), then the trust lapsed.
    assert.ok(lapse.at > SESSION_ACTIVE_MS && lapse.at <= SESSION_ACTIVE_MS + TRUST_AFTER_PONG_MS, `lapsed at ${lapse.at}`);
    assert.equal(a.paths.length, 3, `relay, direct at ${direct.at}, relay`);
  });
});

describe("relays", () => {
  test("a UDP relay carries a peer once the peer is heard through it (bound there too); callMeMaybe goes through every relay", () => {
    const net = new PathNetwork(25);
    const a = net.addNode("a", { nat: { mapping: "symmetric", filtering: "address-port" } });
    const b = net.addNode("b", { nat: { mapping: "symmetric", filtering: "address-port" } });
    net.setRelays({ tcp: true, udp: [UDP_RELAY] });
    net.netmap();
    assert.deepEqual(net.route(a, b), { kind: "tcp-relay" }, "not heard through the UDP relay yet: it may not reach b");
    net.startTraffic(a, b);
    net.runFor(1_000);
    assert.deepEqual(a.sent.filter((s) => s.kind === "callMeMaybe").map((s) => s.carrier), ["tcp-relay", "udp-relay"]);
    const udpRelayPath = { kind: "udp-relay", relay: UDP_RELAY.relay, relayKey: UDP_RELAY.relayKey };
    assert.deepEqual(net.route(b, a), udpRelayPath, "b heard a through the UDP relay");
    assert.deepEqual(net.route(a, b), { kind: "tcp-relay" }, "a has not heard b through it yet");
    // b answers a's traffic with WireGuard packets through the UDP relay (the node reports them).
    a.manager.heardViaUdpRelay(net.now, b.publicKey, UDP_RELAY.relayKey);
    assert.deepEqual(net.route(a, b), udpRelayPath);
    // Traffic both ways: each side's callMeMaybe through the relay, every 5 s while not direct,
    // keeps the other's knowledge fresh past the 30 s it lasts.
    net.startTraffic(b, a);
    net.runFor(31_000);
    assert.deepEqual([net.route(a, b), net.route(b, a)], [udpRelayPath, udpRelayPath]);
    assert.ok(b.sent.some((s) => s.kind === "ping"), "b got a's callMeMaybe and pinged");
  });

  test("no relay: the likeliest endpoint on a guess; no relay and no endpoint: none; every change reported", () => {
    const net = new PathNetwork(26);
    const a = net.addNode("a");
    const b = net.addNode("b");
    const c = net.addNode("c");
    net.setRelays({ tcp: false });
    net.netmap(new Map([[c, []]]));
    assert.deepEqual(net.route(a, b), { kind: "unconfirmed", endpoint: b.lanEndpoint });
    assert.deepEqual(net.route(a, c), { kind: "none" });
    assert.match(a.manager.status(c.publicKey).reason!, /^no endpoints known for it.*; no relay is usable either$/);
    net.setRelays({ tcp: true });
    assert.deepEqual(
      a.paths.map((p) => [p.peer === b.key ? "b" : "c", p.path.kind]),
      [["b", "unconfirmed"], ["c", "none"], ["b", "tcp-relay"], ["c", "tcp-relay"]],
    );
    assert.deepEqual(a.manager.route(new Uint8Array(32).fill(1)), { kind: "none" }, "not a peer");
    assert.equal(a.manager.status(new Uint8Array(32).fill(1)).reason, "not a peer in the netmap");
  });
});
