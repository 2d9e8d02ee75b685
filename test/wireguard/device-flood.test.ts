// A device under a handshake flood (whitepaper §5.3), in memory: initiations with a valid mac1
// and random contents, as anyone who knows a public key can send. What must hold: one call does
// a bounded amount of Curve25519 work and the rest waits (bounded, counted when dropped); the
// queue filling up, or the message rate, puts the device under load, where the flood gets
// cookie replies instead of Curve25519 work; a source with a valid cookie is rate-limited per
// address (per /64 for IPv6); and a real peer still completes its handshake through a cookie.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Endpoint } from "../../src/net/endpoint.js";
import { REKEY_TIMEOUT_MS } from "../../src/wireguard/constants.js";
import { addMacs, consumeCookieReply, cookieKey, createCookieJar, mac1Key, type CookieJar } from "../../src/wireguard/cookie.js";
import type { Device, DeviceAction } from "../../src/wireguard/device.js";
import { HANDSHAKE_QUEUE_CAPACITY } from "../../src/wireguard/handshake-queue.js";
import { HANDSHAKE_BURST } from "../../src/wireguard/handshake-rate-limiter.js";
import { decodeCookieReply, INITIATION_BYTES, MAC_BYTES, MESSAGE_COOKIE_REPLY, MESSAGE_INITIATION, messageType } from "../../src/wireguard/messages.js";
import { createFastestX25519, type X25519 } from "../../src/wireguard/x25519.js";
import { ipv4Packet, payloadOf } from "../fakes/ip-packets.js";
import { createSeededRandom } from "../fakes/seeded-random.js";
import { outputActions, TestMesh, type TestNode } from "./device-pair.js";

const attacker: Endpoint = { host: "203.0.113.66", port: 4444 };
const NO_RATE_TRIGGER = { handshakesPerSecondUnderLoad: 1_000_000_000 };

// X25519 that counts its shared-secret computations: the Curve25519 work a device did.
function countingX25519(): X25519 & { calls: number } {
  const inner = createFastestX25519();
  const counting = {
    name: inner.name,
    calls: 0,
    publicKey: (key: Uint8Array) => inner.publicKey(key),
    sharedSecret(privateKey: Parameters<X25519["sharedSecret"]>[0], publicKey: Uint8Array) {
      counting.calls++;
      return inner.sharedSecret(privateKey, publicKey);
    },
    generateEphemeral: (source: Parameters<X25519["generateEphemeral"]>[0]) => inner.generateEphemeral(source),
    forget: (key: Parameters<X25519["forget"]>[0]) => inner.forget(key),
  };
  return counting;
}

const random = createSeededRandom(0xf100d);

// An initiation with random contents and a valid mac1 for `target`; mac2 from `jar` (a valid
// one if the jar holds a fresh cookie for the attacker's address, else random).
function floodInitiation(target: Uint8Array, jar: CookieJar | null = null, now = 0): Uint8Array {
  const message = random.bytes(INITIATION_BYTES);
  message.set([MESSAGE_INITIATION, 0, 0, 0]);
  addMacs(message, mac1Key(target), jar ?? createCookieJar(), now);
  if (jar === null) message.set(random.bytes(MAC_BYTES), INITIATION_BYTES - MAC_BYTES);
  return message;
}

// One batch, as the packet loop hands it over: datagrams in the arena slots.
function batch(device: Device, now: number, messages: readonly Uint8Array[], from: Endpoint): DeviceAction[] {
  const layout = device.batchLayout;
  const arena = new Uint8Array(layout.buffer);
  messages.forEach((message, i) => arena.set(message, layout.arenaOffset + i * layout.slotBytes));
  return outputActions(device, device.handleDatagramBatch(now, messages.map((m) => m.length), messages.map(() => from), messages.length));
}

// Runs the device's due work until nothing is queued; returns the time it got to.
function drain(device: Device, now: number, onActions: (actions: DeviceAction[]) => void = () => undefined): number {
  for (let ticks = 0; device.handshakeLoad(now).queued > 0; ticks++) {
    assert.ok(ticks < 10_000, "the queue drains");
    now = Math.max(now, device.nextDeadline() ?? now);
    onActions(device.handleTick(now));
  }
  return now;
}

const cookieRepliesIn = (actions: readonly DeviceAction[]): number =>
  actions.filter((a) => a.type === "send" && messageType(a.datagram) === MESSAGE_COOKIE_REPLY).length;

function setUp(options = NO_RATE_TRIGGER): { mesh: TestMesh; a: TestNode; b: TestNode; x25519: X25519 & { calls: number } } {
  const x25519 = countingX25519();
  const mesh = new TestMesh(0xf1, {}, x25519);
  const a = mesh.addNode("a", 1);
  const b = mesh.addNode("b", 2, options);
  mesh.introduce(a, b);
  mesh.introduce(b, a);
  x25519.calls = 0;
  return { mesh, a, b, x25519 };
}

describe("device under a handshake flood", () => {
  test("one call does a bounded amount of Curve25519 work; the rest waits, due at nextDeadline", () => {
    const { b, x25519 } = setUp();
    const flood = Array.from({ length: 64 }, () => floodInitiation(b.publicKey));
    batch(b.device, 1000, flood, attacker);
    const first = x25519.calls;
    assert.ok(first >= 1 && first <= 8, `${first} Curve25519 operations in one call (64 would stall the packet loop)`);
    assert.equal(b.device.handshakeLoad(1000).queued, 64 - first);
    const due = b.device.nextDeadline()!;
    assert.ok(due > 1000 && due < 1010, `the rest is due when the budget allows (${due})`);
    drain(b.device, 1000);
    assert.equal(x25519.calls, 64, "each failed once it got its turn");
    assert.equal(b.device.drops()["handshakeFailed"], 64);
  });

  test("a queue 1/8 full puts the device under load: what is still queued gets cookie replies, not Curve25519", () => {
    const { b, x25519 } = setUp();
    let replies = 0;
    for (let i = 0; i < 4; i++) replies += cookieRepliesIn(batch(b.device, 1000, Array.from({ length: 64 }, () => floodInitiation(b.publicKey)), attacker));
    const now = drain(b.device, 1000, (actions) => (replies += cookieRepliesIn(actions)));
    const load = b.device.handshakeLoad(now);
    assert.ok(load.underLoad);
    assert.equal(load.cookieRepliesSent, replies);
    assert.equal(replies + x25519.calls, 256, "every message was answered one way or the other");
    assert.ok(x25519.calls <= 10, `${x25519.calls} Curve25519 operations: only before the queue reached 1/8`);
  });

  test("the message rate alone also puts it under load (the default: 100 a second)", () => {
    const { b, x25519 } = setUp({ handshakesPerSecondUnderLoad: 100 });
    let replies = 0;
    for (let t = 0; t < 2000; t += 10) replies += cookieRepliesIn(batch(b.device, t, Array.from({ length: 20 }, () => floodInitiation(b.publicKey)), attacker));
    assert.ok(x25519.calls < 110, `${x25519.calls} Curve25519 operations for 4,000 initiations`);
    assert.ok(replies > 3800, `${replies} cookie replies`);
  });

  test("the queue is bounded: beyond it, messages are dropped and counted, at no cost", () => {
    const { b, x25519 } = setUp();
    const total = 40 * 64;
    for (let i = 0; i < 40; i++) batch(b.device, 5000, Array.from({ length: 64 }, () => floodInitiation(b.publicKey)), attacker);
    const load = b.device.handshakeLoad(5000);
    const dropped = b.device.drops()["handshakeQueueFull"] ?? 0;
    assert.equal(load.queued, HANDSHAKE_QUEUE_CAPACITY);
    assert.equal(dropped + load.queued + x25519.calls, total);
  });

  test("with a valid cookie, a source gets its burst of 5 and is then rate-limited; a whole IPv6 /64 is one source", () => {
    const { b, x25519 } = setUp({ handshakesPerSecondUnderLoad: 1 });
    // Each address asks for its cookie (the reply reaches it), then floods with a valid mac2.
    const addresses = Array.from({ length: 4 }, (_, i): Endpoint => ({ host: `2001:db8:66:1::${i + 1}`, port: 4444 }));
    const jars = addresses.map((from) => {
      const jar = createCookieJar();
      const ask = floodInitiation(b.publicKey, jar, 0);
      const [reply] = batch(b.device, 0, [ask], from).filter((a) => a.type === "send");
      assert.ok(reply?.type === "send" && messageType(reply.datagram) === MESSAGE_COOKIE_REPLY, "a cookie reply");
      assert.ok(consumeCookieReply(b.dataplane.crypto, decodeCookieReply(reply.datagram)!, cookieKey(b.publicKey), jar, 0));
      return jar;
    });
    x25519.calls = 0;
    for (let round = 0; round < 10; round++) {
      addresses.forEach((from, i) => batch(b.device, 10, [floodInitiation(b.publicKey, jars[i]!, 10)], from));
    }
    drain(b.device, 10);
    assert.equal(x25519.calls, HANDSHAKE_BURST, "the /64 shares one burst");
    assert.equal(b.device.drops()["rateLimited"], 40 - HANDSHAKE_BURST);
    assert.equal(b.device.handshakeLoad(10).cookieRepliesSent, 4, "valid mac2: no more cookie replies");
    assert.equal(b.device.handshakeLoad(10).validMac2, 40);
  });

  test("a peer completes its handshake through a cookie reply while the flood goes on", () => {
    const { mesh, a, b } = setUp({ handshakesPerSecondUnderLoad: 100 });
    const encoder = new TextEncoder();
    let floodSent = 0;
    const floodUntil = (until: number): void => {
      // 6,400 initiations a second from the attacker, a batch every 10 ms.
      for (let t = mesh.network.now; t < until; t += 10) {
        mesh.network.runUntil(t);
        mesh.network.apply(b, batch(b.device, mesh.network.now, Array.from({ length: 64 }, () => floodInitiation(b.publicKey)), attacker));
        floodSent += 64;
      }
    };
    floodUntil(1000);
    assert.ok(b.device.handshakeLoad(mesh.network.now).underLoad);
    mesh.network.writeTun(a, ipv4Packet(a.address4, b.address4, encoder.encode("through the flood")));
    floodUntil(1000 + REKEY_TIMEOUT_MS + 2000);
    assert.equal(a.device.handshakeLoad(mesh.network.now).cookieRepliesConsumed, 1, "a got b's cookie");
    assert.equal(b.device.handshakeLoad(mesh.network.now).validMac2, 1, "and used it");
    assert.ok(b.device.handshakeLoad(mesh.network.now).underLoad, "b was under load all along");
    assert.deepEqual(b.tun.map((p) => new TextDecoder().decode(payloadOf(p))), ["through the flood"], "a's retry carried mac2");
    assert.ok(a.device.peers()[0]?.hasSession);
    assert.ok(b.device.handshakeLoad(mesh.network.now).cookieRepliesSent >= floodSent * 0.95, "the flood got cookie replies");
  });
});
