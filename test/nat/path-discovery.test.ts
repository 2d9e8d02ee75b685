// Path discovery end to end on the in-memory internet (path-network.ts): direct when the
// network allows it, through NATs with callMeMaybe, on the relay when not, never sticky.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatEndpoint } from "../../src/net/endpoint.js";
import type { Path } from "../../src/nat/path-manager.js";
import { TRUST_AFTER_PONG_MS } from "../../src/nat/path-timing.js";
import { firstPath, PathNetwork, type SimNode } from "./path-network.js";

const isDirect = (path: Path): boolean => path.kind === "direct";
const isRelay = (path: Path): boolean => path.kind === "tcp-relay" || path.kind === "udp-relay";
const FILTERING_EIM = { mapping: "eim", filtering: "address-port" } as const;
const SYMMETRIC = { mapping: "symmetric", filtering: "address-port" } as const;

function directTo(path: Path): string | null {
  return path.kind === "direct" ? formatEndpoint(path.endpoint) : null;
}

function both(net: PathNetwork, a: SimNode, b: SimNode): void {
  net.startTraffic(a, b);
  net.startTraffic(b, a);
}

describe("path discovery", () => {
  test("two public nodes: on the relay at once, direct one round trip after traffic starts, both ways", () => {
    const net = new PathNetwork(1);
    const a = net.addNode("a");
    const b = net.addNode("b");
    net.setRelays({ tcp: true });
    net.netmap();
    assert.equal(net.route(a, b).kind, "tcp-relay", "the first packet never waits for probing");
    net.startTraffic(a, b);
    net.runFor(100);
    assert.deepEqual(net.route(a, b), { kind: "direct", endpoint: b.lanEndpoint, rttMs: 20 });
    assert.equal(directTo(net.route(b, a)), formatEndpoint(a.lanEndpoint), "b pinged back when a's ping arrived");
    assert.equal(a.manager.status(b.publicKey).reason, null);
    assert.deepEqual(a.paths.map((p) => p.path.kind), ["tcp-relay", "direct"]);
  });

  test("two NATs that filter by address: callMeMaybe makes the idle side ping, and both NATs open", () => {
    const net = new PathNetwork(2);
    const a = net.addNode("a", { nat: FILTERING_EIM });
    const b = net.addNode("b", { nat: FILTERING_EIM });
    net.setRelays({ tcp: true });
    net.netmap();
    net.startTraffic(a, b);
    net.runFor(1000);
    const callMeMaybe = a.sent.find((s) => s.kind === "callMeMaybe");
    assert.deepEqual(callMeMaybe && { at: callMeMaybe.at, carrier: callMeMaybe.carrier, to: callMeMaybe.to }, { at: 0, carrier: "tcp-relay", to: b.key });
    const bPings = b.sent.filter((s) => s.kind === "ping");
    assert.ok(bPings.length > 0 && bPings[0]!.at === net.relayDelayMs, `b, idle, first pings when the callMeMaybe arrives (${bPings[0]?.at})`);
    assert.ok(isDirect(net.route(a, b)) && isDirect(net.route(b, a)), "direct both ways");
    assert.ok(firstPath(a, b, 0, isDirect)! <= 200, "within a few round trips");
  });

  test("without a relay to carry callMeMaybe, an idle peer behind a filtering NAT is never reached", () => {
    const net = new PathNetwork(3);
    const a = net.addNode("a", { nat: FILTERING_EIM });
    const b = net.addNode("b", { nat: FILTERING_EIM });
    net.setRelays({ tcp: false });
    net.netmap();
    net.startTraffic(a, b);
    net.runFor(30_000);
    assert.equal(net.route(a, b).kind, "unconfirmed", "no relay: the likeliest endpoint, on a guess");
    assert.equal(b.sent.length, 0, "b never heard of a");
    assert.match(a.manager.status(b.publicKey).reason!, /no relay is usable either/);
  });

  test("a peer whose NAT maps per destination is reached at the port its pings come from", () => {
    const net = new PathNetwork(4);
    const a = net.addNode("a", { nat: SYMMETRIC });
    const b = net.addNode("b", { nat: { mapping: "eim", filtering: "open" } });
    net.setRelays({ tcp: true });
    net.netmap();
    both(net, a, b);
    net.runFor(2_000);
    const reported = net.candidatesOf(a).map(formatEndpoint);
    const used = directTo(net.route(b, a));
    assert.ok(used !== null && !reported.includes(used), `b uses a's port towards b (${used}), not a reported one (${reported.join(", ")})`);
    assert.ok(isDirect(net.route(a, b)));
  });

  test("both ends behind per-destination NATs: stays on the relay and says why", () => {
    const net = new PathNetwork(5);
    const a = net.addNode("a", { nat: SYMMETRIC });
    const b = net.addNode("b", { nat: SYMMETRIC });
    const c = net.addNode("c");
    net.setRelays({ tcp: true });
    net.netmap();
    both(net, a, b);
    net.startTraffic(a, c);
    net.runFor(30_000);
    assert.equal(net.route(a, b).kind, "tcp-relay");
    assert.ok(isDirect(net.route(a, c)), "a reaches a public node directly");
    assert.equal(a.paths.filter((p) => p.peer === b.key).length, 1, "never anything but the relay");
    assert.match(a.manager.status(b.publicKey).reason!, /^no pong from any of its 2 endpoints in \d+ probes$/);
    a.mappingVaries = true;
    b.mappingVaries = true;
    net.netmap();
    assert.match(a.manager.status(b.publicKey).reason!, /both ends are behind NATs that change the port per destination/);
  });

  test("callMeMaybe goes at most every 5 s while relayed, and not at all once direct", () => {
    const net = new PathNetwork(6);
    const a = net.addNode("a", { nat: SYMMETRIC });
    const b = net.addNode("b", { nat: SYMMETRIC });
    net.setRelays({ tcp: true });
    net.netmap();
    net.startTraffic(a, b);
    net.runFor(30_000);
    const times = a.sent.filter((s) => s.kind === "callMeMaybe").map((s) => s.at);
    assert.deepEqual(times, [0, 5_000, 10_000, 15_000, 20_000, 25_000, 30_000]);
    const direct = new PathNetwork(7);
    const [x, y] = [direct.addNode("x"), direct.addNode("y")];
    direct.setRelays({ tcp: true });
    direct.netmap();
    direct.startTraffic(x, y);
    direct.runFor(30_000);
    assert.deepEqual(x.sent.filter((s) => s.kind === "callMeMaybe").map((s) => s.at), [0], "only the first, before any pong");
  });
});

describe("path changes", () => {
  test("the direct path dies: on the relay within the trust time; it returns: direct again within 10 s", () => {
    const net = new PathNetwork(8);
    const a = net.addNode("a");
    const b = net.addNode("b");
    let down = false;
    net.cut = () => down;
    net.setRelays({ tcp: true });
    net.netmap();
    both(net, a, b);
    net.runUntil(10_000);
    assert.ok(isDirect(net.route(a, b)));
    down = true;
    net.runUntil(30_000);
    for (const [from, to] of [[a, b], [b, a]] as const) {
      const fellBack = firstPath(from, to, 10_000, isRelay);
      assert.ok(fellBack !== null && fellBack <= 10_000 + TRUST_AFTER_PONG_MS, `${from.name} on the relay at ${fellBack}`);
      assert.equal(net.route(from, to).kind, "tcp-relay");
    }
    down = false;
    net.runUntil(60_000);
    for (const [from, to] of [[a, b], [b, a]] as const) {
      const back = firstPath(from, to, 30_000, isDirect);
      assert.ok(back !== null && back <= 40_000, `${from.name} direct again at ${back}`);
    }
    assert.match(a.manager.status(b.publicKey).reason ?? "none", /none/);
  });

  test("a path that works only after 2 s is found within 10 s of working", () => {
    const net = new PathNetwork(9);
    const a = net.addNode("a");
    const b = net.addNode("b");
    net.cut = (_x, _y, now) => now < 2_000;
    net.setRelays({ tcp: true });
    net.netmap();
    net.startTraffic(a, b);
    net.runUntil(1_999);
    assert.equal(net.route(a, b).kind, "tcp-relay");
    assert.match(a.manager.status(b.publicKey).reason!, /no pong from any peer yet .*UDP may be blocked/);
    net.runUntil(20_000);
    const direct = firstPath(a, b, 0, isDirect);
    assert.ok(direct !== null && direct <= 12_000, `direct at ${direct}`);
  });

  test("NAT rebinding: the peer follows the new source port without a trip through the relay", () => {
    const net = new PathNetwork(10);
    const a = net.addNode("a", { nat: FILTERING_EIM });
    const b = net.addNode("b");
    net.setRelays({ tcp: true });
    net.netmap();
    both(net, a, b);
    net.runUntil(10_000);
    const before = directTo(net.route(b, a));
    net.rebind(a);
    net.runUntil(20_000);
    const after = directTo(net.route(b, a));
    assert.ok(before !== null && after !== null && before !== after, `${before} → ${after}`);
    const moved = firstPath(b, a, 10_000, (p) => directTo(p) === after)!;
    assert.ok(moved <= 10_000 + TRUST_AFTER_PONG_MS + 500, `b switched at ${moved}`);
    assert.equal(b.paths.filter((p) => p.at >= 10_000 && !isDirect(p.path)).length, 0, "b never left direct");
    assert.equal(a.paths.filter((p) => p.at >= 10_000).length, 0, "a's path to b did not change");
  });

  test("a new endpoint in the netmap for a relayed, busy peer is probed at once, not at the next 5 s round", () => {
    const net = new PathNetwork(12);
    const a = net.addNode("a");
    const b = net.addNode("b");
    const alias = { host: "198.51.100.202", port: 41641 };
    b.aliases.push(alias);
    net.relayUp = false; // b never hears of a (no callMeMaybe), so it never pings a first
    net.setRelays({ tcp: true });
    net.netmap(new Map([[b, [{ host: "198.18.0.1", port: 1 }]]]));
    net.startTraffic(a, b);
    net.runUntil(2_500);
    assert.equal(net.route(a, b).kind, "tcp-relay");
    net.netmap(new Map([[b, [{ host: "198.18.0.1", port: 1 }, alias]]]));
    net.runUntil(3_000);
    assert.equal(directTo(net.route(a, b)), formatEndpoint(alias));
  });

  test("a pong tells a node its public endpoint, once per new endpoint", () => {
    const net = new PathNetwork(11);
    const a = net.addNode("a", { nat: { mapping: "eim", filtering: "open" } });
    const b = net.addNode("b");
    const c = net.addNode("c");
    net.setRelays({ tcp: true });
    net.netmap();
    net.startTraffic(a, b);
    net.startTraffic(a, c);
    net.runFor(20_000);
    const publicEndpoint = net.candidatesOf(a)[1]!;
    assert.deepEqual(a.manager.observedEndpoints(), [publicEndpoint]);
    assert.deepEqual(a.observed, [[publicEndpoint]]);
  });
});
