// A node's UDP relay binding on a fake clock, against the relay core in memory: the three-way
// bind, wrapping and unwrapping packets, retries, re-binding every 20 s, and what it ignores.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Endpoint } from "../../src/net/endpoint.js";
import { createUdpRelayClient, type UdpRelayClient, type UdpRelayClientAction } from "../../src/nat/udp-relay-client.js";
import { encodeBound, encodeChallenge, encodeUdpRecv } from "../../src/nat/udp-relay-protocol.js";
import { createUdpRelayServer } from "../../src/nat/udp-relay-server.js";
import { createSeededRandom } from "../fakes/seeded-random.js";
import { b64, identity, x25519, type Identity } from "./relay-fixture.js";

const relayNode = identity(71);
const alice = identity(72);
const bob = identity(73);
const RELAY: Endpoint = { host: "11.0.0.3", port: 3340 };
const A: Endpoint = { host: "11.0.0.11", port: 41641 };
const B: Endpoint = { host: "11.0.0.12", port: 41641 };

interface Peer {
  readonly client: UdpRelayClient;
  readonly at: Endpoint;
  readonly packets: string[];
}

function world() {
  const server = createUdpRelayServer({ identity: relayNode, x25519, random: createSeededRandom(1), isAllowed: (key) => [alice, bob].some((who) => b64(who.publicKey) === b64(key)), log: () => undefined, createdAt: 0 });
  const peers = new Map<string, Peer>();
  let lossy = false;
  const peer = (who: Identity, at: Endpoint): Peer => {
    const p: Peer = { client: createUdpRelayClient({ identity: who, relayKey: relayNode.publicKey, relay: RELAY, x25519 }), at, packets: [] };
    peers.set(`${at.host}:${at.port}`, p);
    return p;
  };
  // Carries a client's actions: sends to the relay, whose answers go back to their address.
  const run = (now: number, from: Peer, actions: readonly UdpRelayClientAction[]): void => {
    for (const action of actions) {
      if (action.kind === "packet") {
        from.packets.push(`${b64(action.from).slice(0, 4)}:${Buffer.from(action.packet).toString()}`);
        continue;
      }
      if (lossy) continue;
      const answer = server.handle(now, action.bytes.slice(), from.at);
      const to = answer === null ? undefined : peers.get(`${answer.to.host}:${answer.to.port}`);
      if (answer !== null && to !== undefined) run(now, to, to.client.handle(now, answer.bytes, RELAY));
    }
  };
  return { server, peer, run, setLossy: (value: boolean) => void (lossy = value) };
}

test("bind → challenge → bindConfirm → bound; packets wrapped by one peer come out at the other", () => {
  const w = world();
  const a = w.peer(alice, A);
  const b = w.peer(bob, B);
  w.run(0, a, a.client.start(0));
  w.run(0, b, b.client.start(0));
  assert.equal(a.client.status(0).phase, "bound");
  assert.equal(a.client.status(0).boundUntil, 30_000);
  assert.equal(w.server.stats().bindings, 2);
  w.run(1, a, [{ kind: "send", bytes: a.client.wrap(1, bob.publicKey, Buffer.from("hi bob"))! }]);
  w.run(1, b, [{ kind: "send", bytes: b.client.wrap(1, alice.publicKey, Buffer.from("hi alice"))! }]);
  assert.deepEqual(b.packets, [`${b64(alice.publicKey).slice(0, 4)}:hi bob`]);
  assert.deepEqual(a.packets, [`${b64(bob.publicKey).slice(0, 4)}:hi alice`]);
});

test("no answer: bind again after 1, 2, 4, 8, then every 10 s", () => {
  const w = world();
  const a = w.peer(alice, A);
  w.setLossy(true);
  let now = 0;
  a.client.start(now);
  const gaps: number[] = [];
  for (let i = 0; i < 6; i++) {
    const next = a.client.nextDeadline()!;
    gaps.push(next - now);
    assert.deepEqual(a.client.tick(next - 1), []);
    now = next;
    assert.equal(a.client.tick(now).length, 1);
  }
  assert.deepEqual(gaps, [1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  assert.equal(a.client.status(now).phase, "binding");
  assert.match(a.client.status(now).text, /no answer from the relay after 7 binds/);
  assert.equal(a.client.wrap(now, bob.publicKey, Uint8Array.of(1)), null);
  assert.equal(a.client.status(now).counters.droppedNotBound, 1);
});

test("re-binding every 20 s keeps the binding; without answers it runs out at 30 s", () => {
  const w = world();
  const a = w.peer(alice, A);
  w.run(0, a, a.client.start(0));
  assert.equal(a.client.nextDeadline(), 20_000);
  w.run(20_000, a, a.client.tick(20_000));
  assert.equal(a.client.status(20_000).boundUntil, 50_000, "renewed");
  assert.equal(w.server.stats().bound, 2);
  w.setLossy(true);
  w.run(40_000, a, a.client.tick(40_000));
  assert.notEqual(a.client.wrap(49_999, bob.publicKey, Uint8Array.of(1)), null);
  assert.equal(a.client.wrap(50_000, bob.publicKey, Uint8Array.of(1)), null, "the binding ran out");
  assert.equal(a.client.status(50_000).phase, "binding");
});

test("what a client ignores: datagrams from anywhere but the relay, a challenge it did not ask for, a bound of 0 s", () => {
  const a = createUdpRelayClient({ identity: alice, relayKey: relayNode.publicKey, relay: RELAY, x25519 });
  a.start(0);
  assert.deepEqual(a.handle(1, encodeUdpRecv(bob.publicKey, Uint8Array.of(1)), { host: "11.0.0.99", port: 3340 }), []);
  assert.deepEqual(a.handle(1, encodeUdpRecv(bob.publicKey, Uint8Array.of(1)), { host: RELAY.host, port: 3341 }), []);
  assert.equal(a.status(1).counters.notFromRelay, 2);
  assert.equal(a.handle(2, encodeChallenge(new Uint8Array(16)), RELAY).length, 1, "the answer to our bind");
  assert.deepEqual(a.handle(3, encodeChallenge(new Uint8Array(16)), RELAY), [], "a second challenge");
  assert.deepEqual(a.handle(4, encodeBound(0), RELAY), []);
  assert.equal(a.status(4).phase, "binding");
  assert.deepEqual(a.handle(5, Uint8Array.of(0x6d, 0x67, 0x9e, 0x1a, 0x42), RELAY), []);
  assert.equal(a.status(5).counters.malformed, 1);
  assert.equal(a.handle(6, encodeUdpRecv(bob.publicKey, Uint8Array.of(7)), RELAY)[0]?.kind, "packet", "a relayed packet is handed on");
});

test("a relay key of low order (a hostile netmap) is this relay's failure, not a throw; stop ends everything", () => {
  const bad = createUdpRelayClient({ identity: alice, relayKey: new Uint8Array(32), relay: RELAY, x25519 });
  assert.deepEqual(bad.start(0), []);
  assert.equal(bad.status(0).phase, "error");
  assert.equal(bad.nextDeadline(), null);
  const good = createUdpRelayClient({ identity: alice, relayKey: relayNode.publicKey, relay: RELAY, x25519 });
  good.start(0);
  good.stop();
  assert.equal(good.status(0).phase, "stopped");
  assert.equal(good.nextDeadline(), null);
  assert.equal(good.wrap(0, bob.publicKey, Uint8Array.of(1)), null);
});
