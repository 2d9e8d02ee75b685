// The UDP peer relay's core on a fake clock: the stateless cookie, the proof, bindings (30 s,
// bounded, the newest winning), forwarding only between bound keys, a bindConfirm replayed
// from another address, secret rotation, rate limits, and bad input counted.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Endpoint } from "../../src/net/endpoint.js";
import { relayPairKey, relayProof, UDP_RELAY_LABEL } from "../../src/nat/relay-proof.js";
import { encodeBind, encodeBindConfirm, encodeBound, encodeUdpSend, parseUdpRelayFrame } from "../../src/nat/udp-relay-protocol.js";
import { createUdpRelayServer, type UdpRelayServer, type UdpRelayServerLimits } from "../../src/nat/udp-relay-server.js";
import { createSeededRandom } from "../fakes/seeded-random.js";
import { b64, countingX25519, identity, x25519, type Identity } from "./relay-fixture.js";

const relayNode = identity(61);
const alice = identity(62);
const bob = identity(63);
const mallory = identity(64);
const A: Endpoint = { host: "198.51.100.1", port: 41641 };
const B: Endpoint = { host: "203.0.113.2", port: 50000 };
const M: Endpoint = { host: "192.0.2.66", port: 4444 };

function harness(limits: Partial<UdpRelayServerLimits> = {}) {
  const allowed = new Set([alice, bob].map((who) => b64(who.publicKey)));
  const logs: string[] = [];
  const counting = countingX25519();
  const server = createUdpRelayServer({ identity: relayNode, x25519: counting, random: createSeededRandom(3), isAllowed: (key) => allowed.has(b64(key)), log: (line) => logs.push(line), limits, createdAt: 0 });
  return { server, allowed, logs, dh: () => counting.dh };
}

// bind → the cookie (the challenge's body), or null.
function cookieFor(server: UdpRelayServer, now: number, who: Identity, from: Endpoint): Uint8Array | null {
  const answer = server.handle(now, encodeBind(who.publicKey), from);
  if (answer === null) return null;
  assert.deepEqual(answer.to, from);
  const frame = parseUdpRelayFrame(answer.bytes);
  assert.ok(frame?.type === "challenge");
  return frame.cookie.slice();
}

const proofFor = (signer: Identity, cookie: Uint8Array): Uint8Array => relayProof(relayPairKey(x25519, signer.privateKey, relayNode.publicKey, UDP_RELAY_LABEL)!, cookie);

// The whole exchange: true when the relay answered bound(30).
function bind(server: UdpRelayServer, now: number, who: Identity, from: Endpoint): boolean {
  const cookie = cookieFor(server, now, who, from);
  if (cookie === null) return false;
  const answer = server.handle(now, encodeBindConfirm(who.publicKey, cookie, proofFor(who, cookie)), from);
  if (answer === null) return false;
  assert.deepEqual(answer.bytes, encodeBound(30));
  return true;
}

test("bind gets a cookie for this address and key, and the relay keeps nothing", () => {
  const { server } = harness();
  const cookie = cookieFor(server, 0, alice, A)!;
  assert.equal(cookie.length, 16);
  assert.deepEqual(cookieFor(server, 1, alice, A), cookie, "the same within the secret's lifetime");
  assert.notDeepEqual(cookieFor(server, 1, alice, { ...A, port: A.port + 1 }), cookie, "another port, another cookie");
  assert.notDeepEqual(cookieFor(server, 1, bob, A), cookie, "another key, another cookie");
  assert.equal(server.stats().bindings, 0);
  assert.equal(server.stats().binds, 4);
});

test("a proven key is bound; packets go between bound keys as recv from the sender's key, in place", () => {
  const { server } = harness();
  assert.ok(bind(server, 0, alice, A));
  assert.ok(bind(server, 0, bob, B));
  const datagram = encodeUdpSend(bob.publicKey, Buffer.from("hi bob"));
  const answer = server.handle(1, datagram, A)!;
  assert.equal(answer.bytes, datagram, "forwarded without a copy");
  assert.deepEqual(answer.to, B);
  const frame = parseUdpRelayFrame(answer.bytes);
  assert.ok(frame?.type === "recv");
  assert.deepEqual(frame.key, alice.publicKey);
  assert.equal(Buffer.from(frame.packet).toString(), "hi bob");
  assert.equal(server.stats().forwarded, 1);
  assert.equal(server.stats().forwardedBytes, 6);
});

test("a bindConfirm replayed from another address fails on its cookie; the real binding stays", () => {
  const { server } = harness();
  const cookie = cookieFor(server, 0, alice, A)!;
  const confirm = encodeBindConfirm(alice.publicKey, cookie, proofFor(alice, cookie));
  assert.equal(server.handle(0, confirm, M), null, "Mallory replays Alice's confirmation from her own address");
  assert.equal(server.stats().badCookie, 1);
  assert.equal(server.stats().bindings, 0);
  assert.notEqual(server.handle(1, confirm, A), null, "from Alice's address it is good");
  assert.equal(server.handle(2, confirm, M), null);
  assert.ok(bind(server, 2, bob, B));
  assert.deepEqual(server.handle(3, encodeUdpSend(bob.publicKey, Uint8Array.of(1)), A)?.to, B);
  assert.equal(server.handle(3, encodeUdpSend(bob.publicKey, Uint8Array.of(1)), M), null, "Mallory's address is bound to nothing");
  assert.equal(server.stats().notBound, 1);
});

test("a wrong key cannot bind; a key that is not a peer costs no Curve25519 work and gets no answer", () => {
  const { server, dh } = harness();
  // Mallory asks for a cookie at her own address, for Alice's key, and signs with her own key.
  const cookie = cookieFor(server, 0, alice, M)!;
  assert.equal(server.handle(0, encodeBindConfirm(alice.publicKey, cookie, proofFor(mallory, cookie)), M), null);
  assert.equal(server.stats().badProof, 1);
  const before = dh();
  assert.equal(server.handle(1, encodeBind(mallory.publicKey), M), null);
  const ownCookie = new Uint8Array(16);
  assert.equal(server.handle(1, encodeBindConfirm(mallory.publicKey, ownCookie, proofFor(mallory, ownCookie)), M), null);
  assert.equal(dh(), before);
  assert.equal(server.stats().notAllowed, 2);
  assert.equal(server.stats().bindings, 0);
});

test("a binding lives 30 s; renewed in time it goes on, expired it forwards nothing", () => {
  const { server } = harness();
  assert.ok(bind(server, 0, alice, A));
  assert.ok(bind(server, 0, bob, B));
  assert.ok(bind(server, 20_000, alice, A), "alice re-binds at 20 s");
  const send = (now: number, from: Endpoint, to: Identity) => server.handle(now, encodeUdpSend(to.publicKey, Uint8Array.of(1)), from);
  assert.notEqual(send(29_999, A, bob), null);
  assert.equal(send(30_000, A, bob), null, "bob's binding ran out");
  assert.equal(server.stats().destinationNotBound, 1);
  assert.equal(send(30_000, B, alice), null, "and bob cannot send either");
  assert.equal(server.stats().notBound, 1);
  server.tick(49_999);
  assert.equal(server.stats().bindings, 1, "alice's lives until 50 s");
  server.tick(50_000);
  assert.equal(server.stats().bindings, 0);
});

test("a NAT rebinding: the key bound from a new address moves there; the old address is bound to nothing", () => {
  const { server } = harness();
  assert.ok(bind(server, 0, alice, A));
  assert.ok(bind(server, 0, bob, B));
  const moved: Endpoint = { host: "198.51.100.1", port: 60001 };
  assert.ok(bind(server, 5, alice, moved));
  assert.deepEqual(server.handle(6, encodeUdpSend(alice.publicKey, Uint8Array.of(1)), B)?.to, moved);
  assert.equal(server.handle(6, encodeUdpSend(bob.publicKey, Uint8Array.of(1)), A), null);
  // Another key bound from the address a key used: the address is the newer key's.
  assert.ok(bind(server, 7, bob, moved));
  assert.equal(server.stats().bindings, 1, "alice's binding went with her address");
});

test("the cookie secret rotates every 2 minutes; a cookie is good under the current or the previous secret", () => {
  const { server } = harness();
  const cookie = cookieFor(server, 0, alice, A)!;
  cookieFor(server, 120_000, bob, B); // rotates
  assert.notDeepEqual(cookieFor(server, 120_001, alice, A), cookie);
  assert.notEqual(server.handle(120_002, encodeBindConfirm(alice.publicKey, cookie, proofFor(alice, cookie)), A), null);
  cookieFor(server, 240_000, bob, B); // rotates again
  assert.equal(server.handle(240_001, encodeBindConfirm(alice.publicKey, cookie, proofFor(alice, cookie)), A), null);
  assert.equal(server.stats().badCookie, 1);
});

test("bindings are bounded: when all are in use a new key waits for one to expire", () => {
  const { server, allowed } = harness({ maxBindings: 2 });
  allowed.add(b64(mallory.publicKey));
  assert.ok(bind(server, 0, alice, A));
  assert.ok(bind(server, 0, bob, B));
  assert.equal(bind(server, 1, mallory, M), false);
  assert.equal(server.stats().bindingsFull, 1);
  assert.ok(bind(server, 1, alice, A), "a bound key renews");
  assert.ok(bind(server, 30_000, mallory, M), "bob's binding expired: room again");
});

test("per-source rate limit (an IPv4 address, any port)", () => {
  const { server } = harness({ perSource: { perSecond: 1, burst: 3 } });
  for (let port = 1; port <= 3; port++) assert.notEqual(cookieFor(server, 0, alice, { host: A.host, port }), null);
  assert.equal(server.handle(0, encodeBind(alice.publicKey), { host: A.host, port: 4 }), null);
  assert.equal(server.stats().rateLimited, 1);
  assert.notEqual(cookieFor(server, 0, bob, B), null, "another source has its own budget");
  assert.notEqual(cookieFor(server, 1_000, alice, A), null, "a second later, one more");
});

test("the global proof budget: past it a bindConfirm is dropped before any Curve25519 work", () => {
  const { server, dh } = harness({ proofBudget: { perSecond: 1, burst: 1 } });
  assert.ok(bind(server, 0, alice, A));
  const before = dh();
  assert.equal(bind(server, 0, bob, B), false);
  assert.equal(dh(), before);
  assert.equal(server.stats().proofBusy, 1);
  assert.ok(bind(server, 1_000, bob, B), "a second later");
});

test("revalidate() drops the bindings of keys no longer allowed", () => {
  const { server, allowed } = harness();
  assert.ok(bind(server, 0, alice, A));
  assert.ok(bind(server, 0, bob, B));
  allowed.delete(b64(bob.publicKey));
  server.revalidate();
  assert.equal(server.stats().bindings, 1);
  assert.equal(server.handle(1, encodeUdpSend(bob.publicKey, Uint8Array.of(1)), A), null);
});

test("malformed and unexpected datagrams are dropped and counted, logged at a bounded rate", () => {
  const { server, logs } = harness();
  for (let i = 0; i < 100; i++) {
    assert.equal(server.handle(i, Uint8Array.of(0x6d, 0x67, 0x9e, 0x1a, 9), M), null);
    assert.equal(server.handle(i, encodeBound(30), M), null, "a relay's frame sent to the relay");
  }
  server.tick(10_000);
  assert.equal(server.stats().malformed, 100);
  assert.equal(server.stats().unexpected, 100);
  assert.equal(logs.length, 2, logs.join("\n"));
  assert.match(logs[1]!, /199 more/);
});
