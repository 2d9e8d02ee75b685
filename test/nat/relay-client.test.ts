// The TCP relay's client core on a fake clock, joined to the server core in memory: the
// handshake, packets by node key, keepalives and RTT, and every reconnect decision (timeouts,
// refusals, a relay with another key, the backoff and when it resets).

import assert from "node:assert/strict";
import { test } from "node:test";
import { createRelayClient, type RelayClient, type RelayClientLimits } from "../../src/nat/relay-client.js";
import { encodeKeepAlive, encodeServerHello } from "../../src/nat/relay-protocol.js";
import { createSeededRandom } from "../fakes/seeded-random.js";
import { b64, identity, MemoryRelay, relayServerHarness, x25519, type Identity } from "./relay-fixture.js";

const alice = identity(31);
const bob = identity(32);
const carol = identity(33);

function client(who: Identity, serverKey: Uint8Array, limits: Partial<RelayClientLimits> = {}, seed = 5): RelayClient {
  return createRelayClient({ identity: who, serverKey, x25519, random: createSeededRandom(seed), limits });
}

function mesh(...who: Identity[]) {
  const h = relayServerHarness();
  for (const node of who) h.allowed.add(b64(node.publicKey));
  return { h, relay: new MemoryRelay(h) };
}

test("two clients authenticate and exchange packets by node key; an absent key is peerGone", () => {
  const { h, relay } = mesh(alice, bob);
  const a = relay.attach(client(alice, h.identity.publicKey));
  const b = relay.attach(client(bob, h.identity.publicKey));
  a.run(0, a.client.start(0));
  b.run(0, b.client.start(0));
  assert.equal(a.client.status().phase, "ready");
  assert.equal(b.client.status().phase, "ready");
  assert.ok(a.send(1, bob.publicKey, "hello bob"));
  assert.ok(b.send(2, alice.publicKey, "hello alice"));
  assert.deepEqual(b.packets, [{ from: b64(alice.publicKey), packet: "hello bob" }]);
  assert.deepEqual(a.packets, [{ from: b64(bob.publicKey), packet: "hello alice" }]);
  a.send(3, carol.publicKey, "anyone?");
  assert.deepEqual(a.gone, [b64(carol.publicKey)]);
  const counters = a.client.status().counters;
  assert.equal(counters.packetsSent, 2);
  assert.equal(counters.packetsReceived, 1);
  assert.equal(counters.peerGone, 1);
});

test("a relay with another key than the pinned one: close, an error a user can act on, retry within a second", () => {
  const { relay } = mesh(alice);
  const impostorKey = identity(99).publicKey;
  const a = relay.attach(client(alice, impostorKey));
  a.run(100, a.client.start(100));
  const status = a.client.status();
  assert.equal(status.phase, "error");
  assert.match(status.text, /another server key than the coordinator's/);
  assert.ok(status.retryAt !== null && status.retryAt >= 600 && status.retryAt <= 1100, `retry at ${status.retryAt}`);
  assert.deepEqual(a.actions, ["connect", "close"]);
  assert.equal(relay.harness.server.stats().authenticated, 0, "it never sent a proof to the impostor");
});

test("a refusal from the relay is shown with its reason; the client retries later", () => {
  const { h, relay } = mesh(); // alice is not registered
  const a = relay.attach(client(alice, h.identity.publicKey));
  a.run(0, a.client.start(0));
  const status = a.client.status();
  assert.equal(status.phase, "error");
  assert.match(status.text, /^the relay refused: authentication failed/);
  h.allowed.add(b64(alice.publicKey));
  a.run(status.retryAt!, a.client.tick(status.retryAt!));
  assert.equal(a.client.status().phase, "ready");
});

test("the backoff doubles from 1 s to 30 s, jittered to 50–100 %, and resets after 30 s of ready", () => {
  const core = client(alice, bob.publicKey);
  let now = 0;
  assert.deepEqual(core.start(now), [{ kind: "connect" }]);
  const delays: number[] = [];
  for (let failure = 0; failure < 9; failure++) {
    core.disconnected(now, "ECONNREFUSED");
    const retryAt = core.status().retryAt!;
    delays.push(retryAt - now);
    assert.deepEqual(core.tick(retryAt - 1), []);
    assert.equal(core.nextDeadline(), retryAt);
    now = retryAt;
    assert.deepEqual(core.tick(now), [{ kind: "connect" }]);
  }
  const bases = [1, 2, 4, 8, 16, 30, 30, 30, 30].map((s) => s * 1000);
  delays.forEach((delay, i) => assert.ok(delay >= bases[i]! / 2 && delay <= bases[i]!, `failure ${i + 1}: ${delay} ms for base ${bases[i]}`));
  assert.ok(new Set(delays.slice(5)).size > 1, "jittered");
});

test("a connection that stayed ready 30 s resets the backoff; one that did not, does not", () => {
  const { h, relay } = mesh(alice);
  const a = relay.attach(client(alice, h.identity.publicKey));
  let now = 0;
  a.run(now, a.client.start(now));
  for (let i = 0; i < 4; i++) {
    // Up for 5 s, then lost: the backoff keeps growing.
    now += 5_000;
    a.lost(now, "reset by peer");
    now = a.client.status().retryAt!;
    a.run(now, a.client.tick(now));
    assert.equal(a.client.status().phase, "ready");
  }
  now += 5_000;
  a.lost(now, "reset by peer");
  assert.ok(a.client.status().retryAt! - now >= 8_000, "the fifth short-lived connection waits 8–16 s");
  now = a.client.status().retryAt!;
  a.run(now, a.client.tick(now));
  now += 30_000;
  a.run(now, a.client.tick(now)); // a keepalive on the way; stable now
  relay.tick(now);
  a.lost(now, "reset by peer");
  assert.ok(a.client.status().retryAt! - now <= 1_000, "back to 1 s");
});

test("no answer within 10 s of connecting: close and retry", () => {
  const core = client(alice, bob.publicKey);
  core.start(0);
  assert.equal(core.nextDeadline(), 10_000);
  assert.deepEqual(core.tick(9_999), []);
  core.connected(500); // the upgrade went through, and then nothing
  assert.deepEqual(core.tick(10_000), [{ kind: "close" }]);
  assert.match(core.status().text, /no answer from the relay within 10 s/);
  assert.equal(core.status().phase, "error");
});

test("a keepalive every 25 s measures the RTT; no answer within 15 s means the connection is dead", () => {
  const { h, relay } = mesh(alice);
  const a = relay.attach(client(alice, h.identity.publicKey));
  a.run(0, a.client.start(0));
  assert.equal(a.client.nextDeadline(), 25_000);
  // The keepalive reaches the relay at once, its echo comes back 40 ms later.
  assert.deepEqual(a.client.tick(25_000), [{ kind: "flush" }]);
  const [keepAlive] = a.client.pull(1 << 20);
  assert.deepEqual(keepAlive, encodeKeepAlive());
  h.server.receive(25_000, a.connection!, keepAlive!);
  for (const bytes of h.server.pull(a.connection!, 1 << 20)) a.client.receive(25_040, bytes);
  assert.equal(a.client.status().rttMs, 40);
  assert.equal(a.client.nextDeadline(), 50_000);
  // The next one goes unanswered.
  a.client.tick(50_000);
  a.client.pull(1 << 20);
  assert.equal(a.client.nextDeadline(), 65_000);
  assert.deepEqual(a.client.tick(64_999), []);
  assert.deepEqual(a.client.tick(65_000), [{ kind: "close" }]);
  assert.match(a.client.status().text, /did not answer a keepalive within 15 s/);
});

test("sending while not ready drops and counts; a full queue drops its oldest", () => {
  const { h, relay } = mesh(alice, bob);
  const a = relay.attach(client(alice, h.identity.publicKey, { queue: { frames: 3, bytes: 1 << 20 } }));
  assert.equal(a.client.send(bob.publicKey, Uint8Array.of(1)), false);
  assert.equal(a.client.status().counters.droppedNotReady, 1);
  a.run(0, a.client.start(0));
  for (let i = 0; i < 5; i++) assert.ok(a.client.send(bob.publicKey, Uint8Array.of(i)));
  assert.equal(a.client.pull(1 << 20).length, 3);
  assert.equal(a.client.status().counters.queueDrops, 2);
});

test("bad framing from the relay, or frames out of order, end the connection", () => {
  const core = client(alice, bob.publicKey);
  core.start(0);
  core.connected(0);
  assert.deepEqual(core.receive(1, Uint8Array.of(0x09, 0, 0, 0, 0)), [{ kind: "close" }]);
  assert.match(core.status().text, /bad framing from the relay \(unknown_type\)/);
  core.tick(core.status().retryAt!);
  core.connected(2_000);
  // ready before any serverHello: out of order.
  assert.deepEqual(core.receive(2_001, Uint8Array.of(0x03, 0, 0, 0, 0)), [{ kind: "close" }]);
  assert.match(core.status().text, /unexpected_type/);
  core.tick(core.status().retryAt!);
  core.connected(5_000);
  const hello = encodeServerHello(bob.publicKey, new Uint8Array(32));
  assert.deepEqual(core.receive(5_001, hello), [{ kind: "flush" }]);
  assert.deepEqual(core.receive(5_002, hello), [{ kind: "close" }], "a second serverHello");
});

test("stop closes the connection and stops retrying", () => {
  const { h, relay } = mesh(alice);
  const a = relay.attach(client(alice, h.identity.publicKey));
  a.run(0, a.client.start(0));
  assert.deepEqual(a.client.stop(10), [{ kind: "close" }]);
  assert.equal(a.client.status().phase, "stopped");
  assert.equal(a.client.nextDeadline(), null);
  assert.equal(a.client.send(bob.publicKey, Uint8Array.of(1)), false);
  assert.deepEqual(a.client.start(20), [], "a stopped client stays stopped");
});
