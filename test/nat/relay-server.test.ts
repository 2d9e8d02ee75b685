// The TCP relay's server core on a fake clock: the handshake and its proof, routing by node key,
// the newest connection of a key winning, bounded queues, the limits on connections that have
// not authenticated, unknown destinations, keepalives, revalidation, and bad input counted.

import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeKeepAlive, encodeSend, type RelayFrame } from "../../src/nat/relay-protocol.js";
import { b64, clientAuth, connect, drain, identity, relayServerHarness } from "./relay-fixture.js";

const alice = identity(11);
const bob = identity(12);
const carol = identity(13);

const packetsOf = (frames: readonly RelayFrame[]): string[] =>
  frames.flatMap((frame) => (frame.type === "recv" ? [`${b64(frame.key).slice(0, 4)}:${Buffer.from(frame.packet).toString()}`] : []));

test("the handshake: a serverHello with the relay's key and a fresh challenge, then ready for a valid proof", () => {
  const h = relayServerHarness();
  h.allowed.add(b64(alice.publicKey));
  const first = h.server.open(0, "192.0.2.1")!;
  const second = h.server.open(0, "192.0.2.1")!;
  const [hello1] = drain(h.server, first);
  const [hello2] = drain(h.server, second);
  assert.ok(hello1?.type === "serverHello" && hello2?.type === "serverHello");
  assert.deepEqual(hello1.serverKey, h.identity.publicKey);
  assert.equal(hello1.challenge.length, 32);
  assert.notDeepEqual(hello1.challenge, hello2.challenge, "each connection gets its own challenge");
  assert.deepEqual(h.server.receive(5, first, clientAuth(hello1.serverKey, hello1.challenge, alice)), [{ kind: "flush", connection: first }]);
  assert.deepEqual(drain(h.server, first), [{ type: "ready" }]);
  const stats = h.server.stats();
  assert.equal(stats.authenticated, 1);
  assert.equal(stats.ready, 1);
  assert.equal(stats.unauthenticated, 1, "the second connection still has to authenticate");
});

test("a wrong key cannot authenticate, and a proof for one challenge fails for another", () => {
  const h = relayServerHarness();
  h.allowed.add(b64(alice.publicKey));
  // Mallory claims Alice's (registered) key but holds only her own private key.
  const mallory = identity(66);
  const forged = h.server.open(0, "198.51.100.6")!;
  const [hello] = drain(h.server, forged);
  assert.ok(hello?.type === "serverHello");
  assert.deepEqual(h.server.receive(1, forged, clientAuth(hello.serverKey, hello.challenge, mallory, alice.publicKey)), [{ kind: "close", connection: forged }]);
  const [refusal] = drain(h.server, forged);
  assert.ok(refusal?.type === "error" && /authentication failed/.test(refusal.reason));
  assert.equal(h.server.stats().authFailed, 1);

  // A valid clientAuth, recorded, replayed on a connection with another challenge.
  const recorded = h.server.open(2, "192.0.2.1")!;
  const [hello1] = drain(h.server, recorded);
  assert.ok(hello1?.type === "serverHello");
  const valid = clientAuth(hello1.serverKey, hello1.challenge, alice);
  const replayed = h.server.open(2, "198.51.100.6")!;
  drain(h.server, replayed);
  assert.deepEqual(h.server.receive(3, replayed, valid), [{ kind: "close", connection: replayed }]);
  assert.equal(h.server.stats().authFailed, 2);
  assert.deepEqual(h.server.receive(3, recorded, valid), [{ kind: "flush", connection: recorded }], "it was valid for its own challenge");
  assert.equal(h.server.stats().ready, 1);
});

test("a key that is not allowed is refused before any Curve25519 work, in the same words as a wrong proof", () => {
  const h = relayServerHarness();
  const id = h.server.open(0, "192.0.2.1")!;
  const [hello] = drain(h.server, id);
  assert.ok(hello?.type === "serverHello");
  const before = h.x25519.dh;
  assert.deepEqual(h.server.receive(1, id, clientAuth(hello.serverKey, hello.challenge, carol)), [{ kind: "close", connection: id }]);
  assert.equal(h.x25519.dh, before, "no DH for an unknown key");
  const [refusal] = drain(h.server, id);
  assert.ok(refusal?.type === "error");
  assert.equal(refusal.reason, "authentication failed: not a registered, unexpired node key, or a wrong proof");
  assert.equal(h.server.stats().authRefused, 1);
});

test("send is routed to the destination key's connection as recv from the sender's key", () => {
  const h = relayServerHarness();
  for (const who of [alice, bob]) h.allowed.add(b64(who.publicKey));
  const a = connect(h, alice, 0);
  const b = connect(h, bob, 0);
  assert.deepEqual(h.server.receive(1, a, encodeSend(bob.publicKey, Buffer.from("hi bob"))), [{ kind: "flush", connection: b }]);
  h.server.receive(1, b, encodeSend(alice.publicKey, Buffer.from("hi alice")));
  const [toBob] = drain(h.server, b);
  assert.ok(toBob?.type === "recv");
  assert.deepEqual(toBob.key, alice.publicKey);
  assert.equal(Buffer.from(toBob.packet).toString(), "hi bob");
  assert.deepEqual(packetsOf(drain(h.server, a)), [`${b64(bob.publicKey).slice(0, 4)}:hi alice`]);
  const stats = h.server.stats();
  assert.equal(stats.packetsForwarded, 2);
  assert.equal(stats.bytesForwarded, 14);
  assert.equal(stats.queuedBytes, 0, "everything pulled");
});

test("the newest connection of a key wins; the older one is told and closed", () => {
  const h = relayServerHarness();
  for (const who of [alice, bob]) h.allowed.add(b64(who.publicKey));
  const a = connect(h, alice, 0);
  const b1 = connect(h, bob, 0);
  const b2 = h.server.open(1, "203.0.113.9")!;
  const [hello] = drain(h.server, b2);
  assert.ok(hello?.type === "serverHello");
  const actions = h.server.receive(2, b2, clientAuth(hello.serverKey, hello.challenge, bob));
  assert.deepEqual(actions, [{ kind: "flush", connection: b2 }, { kind: "close", connection: b1 }]);
  const [replaced] = drain(h.server, b1);
  assert.ok(replaced?.type === "error" && /replaced by a newer connection/.test(replaced.reason));
  h.server.closed(3, b1); // the old socket goes away after the new one is in: it must not unroute bob
  h.server.receive(4, a, encodeSend(bob.publicKey, Buffer.from("to the new one")));
  assert.deepEqual(packetsOf(drain(h.server, b2)).length, 1);
  assert.equal(h.server.stats().replaced, 1);
  assert.equal(h.server.stats().ready, 2);
});

test("an unknown destination: the packet drops and the sender hears peerGone, at most once a second per destination", () => {
  const h = relayServerHarness();
  h.allowed.add(b64(alice.publicKey));
  const a = connect(h, alice, 0);
  h.server.receive(10, a, encodeSend(carol.publicKey, Uint8Array.of(1)));
  assert.deepEqual(drain(h.server, a).map((frame) => frame.type === "peerGone" && b64(frame.key)), [b64(carol.publicKey)]);
  h.server.receive(500, a, encodeSend(carol.publicKey, Uint8Array.of(2)));
  h.server.receive(600, a, encodeSend(bob.publicKey, Uint8Array.of(3)));
  assert.deepEqual(drain(h.server, a).map((frame) => frame.type === "peerGone" && b64(frame.key)), [b64(bob.publicKey)], "carol was told 490 ms ago");
  h.server.receive(1010, a, encodeSend(carol.publicKey, Uint8Array.of(4)));
  assert.equal(drain(h.server, a).length, 1, "a second later, again");
  const stats = h.server.stats();
  assert.equal(stats.packetsToAbsent, 4);
  assert.equal(stats.peerGoneSent, 3);
});

test("a queue holds its limit: the oldest frames drop and are counted; all queues together are bounded too", () => {
  const h = relayServerHarness({ queue: { frames: 4, bytes: 1 << 20 } });
  for (const who of [alice, bob]) h.allowed.add(b64(who.publicKey));
  const a = connect(h, alice, 0);
  const b = connect(h, bob, 0);
  for (let i = 0; i < 10; i++) h.server.receive(1, a, encodeSend(bob.publicKey, Buffer.from(`p${i}`)));
  assert.deepEqual(packetsOf(drain(h.server, b)).map((p) => p.split(":")[1]), ["p6", "p7", "p8", "p9"]);
  assert.equal(h.server.stats().queueDrops, 6);

  const tight = relayServerHarness({ totalQueuedBytes: 3 * (5 + 32 + 100) });
  for (const who of [alice, bob]) tight.allowed.add(b64(who.publicKey));
  const ta = connect(tight, alice, 0);
  const tb = connect(tight, bob, 0);
  for (let i = 0; i < 5; i++) tight.server.receive(1, ta, encodeSend(bob.publicKey, new Uint8Array(100).fill(i)));
  assert.equal(drain(tight.server, tb).length, 3, "the global limit drops new frames");
  assert.equal(tight.server.stats().queueDrops, 2);
  assert.equal(tight.server.stats().queuedBytes, 0);
});

test("limits on connections that have not authenticated: in all, per source, and in time", () => {
  const h = relayServerHarness({ maxUnauthenticated: 5, maxUnauthenticatedPerSource: 2, authTimeoutMs: 10_000 });
  h.allowed.add(b64(alice.publicKey));
  const first = h.server.open(0, "198.51.100.1");
  assert.notEqual(first, null);
  assert.notEqual(h.server.open(0, "198.51.100.1"), null);
  assert.equal(h.server.open(0, "198.51.100.1"), null, "a third from one source");
  assert.notEqual(h.server.open(0, "2001:db8:1:2::1"), null);
  assert.notEqual(h.server.open(0, "2001:db8:1:2::99"), null);
  assert.equal(h.server.open(0, "2001:db8:1:2::98"), null, "an IPv6 /64 is one source");
  assert.notEqual(h.server.open(0, "192.0.2.7"), null);
  assert.equal(h.server.open(0, "192.0.2.8"), null, "five authenticating in all");
  assert.equal(h.server.stats().refusedFull, 3);
  assert.deepEqual(h.server.tick(9_999), []);
  const closes = h.server.tick(10_000);
  assert.equal(closes.length, 5);
  assert.ok(closes.every((action) => action.kind === "close"));
  const [timeout] = drain(h.server, first!);
  assert.ok(timeout?.type === "error" && /did not authenticate within 10 s/.test(timeout.reason));
  assert.equal(h.server.stats().authTimeouts, 5);
  assert.equal(h.server.stats().unauthenticated, 0);
  for (const action of closes) h.server.closed(10_001, action.connection);
  assert.equal(h.server.stats().connections, 0);
  assert.notEqual(h.server.open(10_002, "198.51.100.1"), null, "the slots are free again");
  const ready = connect(h, alice, 10_003, "198.51.100.1");
  assert.equal(h.server.stats().unauthenticated, 1);
  assert.ok(ready > 0);
});

test("bad input closes the connection and is counted: garbage, a frame before authentication, a second clientAuth", () => {
  const h = relayServerHarness();
  h.allowed.add(b64(alice.publicKey));
  const garbage = h.server.open(0, "198.51.100.1")!;
  drain(h.server, garbage);
  assert.deepEqual(h.server.receive(1, garbage, new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n")), [{ kind: "close", connection: garbage }]);
  const [bad] = drain(h.server, garbage);
  assert.ok(bad?.type === "error" && /bad framing \(unknown_type\)/.test(bad.reason));
  assert.deepEqual(h.server.receive(2, garbage, encodeKeepAlive()), [], "a closing connection reads nothing more");

  const early = h.server.open(0, "198.51.100.2")!;
  drain(h.server, early);
  assert.deepEqual(h.server.receive(1, early, encodeSend(alice.publicKey, Uint8Array.of(1))), [{ kind: "close", connection: early }]);

  const a = connect(h, alice, 0);
  assert.deepEqual(h.server.receive(1, a, clientAuth(h.identity.publicKey, new Uint8Array(32), alice)), [{ kind: "close", connection: a }]);
  assert.equal(h.server.stats().framingErrors, 3);
  assert.equal(h.server.stats().ready, 0, "the closed connection is no longer routed");
});

test("keepAlive is echoed; a ready connection silent for 75 s is closed", () => {
  const h = relayServerHarness();
  h.allowed.add(b64(alice.publicKey));
  const a = connect(h, alice, 0);
  h.server.receive(25_000, a, encodeKeepAlive());
  assert.deepEqual(drain(h.server, a), [{ type: "keepAlive" }]);
  assert.deepEqual(h.server.tick(99_999), []);
  assert.deepEqual(h.server.tick(100_000), [{ kind: "close", connection: a }]);
  assert.equal(h.server.stats().idleClosed, 1);
});

test("a node that is no longer allowed is cut off: within 5 s by itself, at the next tick after revalidate()", () => {
  const h = relayServerHarness();
  for (const who of [alice, bob]) h.allowed.add(b64(who.publicKey));
  const a = connect(h, alice, 0);
  const b = connect(h, bob, 0);
  h.server.tick(0);
  h.allowed.delete(b64(bob.publicKey));
  assert.deepEqual(h.server.tick(4_999), []);
  assert.deepEqual(h.server.tick(5_000), [{ kind: "close", connection: b }]);
  const [revoked] = drain(h.server, b);
  assert.ok(revoked?.type === "error" && /no longer a registered, unexpired node/.test(revoked.reason));
  h.allowed.delete(b64(alice.publicKey));
  h.server.revalidate();
  assert.deepEqual(h.server.tick(5_100), [{ kind: "close", connection: a }]);
  assert.equal(h.server.stats().revoked, 2);
});

test("the authentication budget: past it, a valid client is told to come back, before any Curve25519 work", () => {
  const h = relayServerHarness({ authBudget: { perSecond: 1, burst: 1 } });
  h.allowed.add(b64(alice.publicKey));
  connect(h, alice, 0);
  const id = h.server.open(0, "192.0.2.1")!;
  const [hello] = drain(h.server, id);
  assert.ok(hello?.type === "serverHello");
  const before = h.x25519.dh;
  assert.deepEqual(h.server.receive(0, id, clientAuth(hello.serverKey, hello.challenge, alice)), [{ kind: "close", connection: id }]);
  assert.equal(h.x25519.dh, before);
  const [busy] = drain(h.server, id);
  assert.ok(busy?.type === "error" && /busy/.test(busy.reason));
  assert.equal(h.server.stats().authBusy, 1);
});

test("refusals are logged at a bounded rate, naming sources and key prefixes, never a private key", () => {
  const h = relayServerHarness();
  for (let i = 0; i < 200; i++) {
    const id = h.server.open(i, `198.51.100.${i % 250}`)!;
    drain(h.server, id);
    h.server.receive(i, id, Uint8Array.of(0xee));
    h.server.closed(i, id);
  }
  h.server.tick(10_000);
  assert.equal(h.logs.length, 2, h.logs.join("\n"));
  assert.match(h.logs[0]!, /^relay: framingErrors: 198\.51\.100\.0: bad framing/);
  assert.match(h.logs[1]!, /199 more .*framingErrors 199/);
  const secrets = [h.identity.privateKey, alice.privateKey].map((key) => b64(key));
  assert.ok(h.logs.every((line) => secrets.every((secret) => !line.includes(secret))));
});
