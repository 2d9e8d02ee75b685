// The protocol core end to end, in memory: Devices on a fake network with a fake clock and
// seeded randomness (deterministic runs), real crypto in the WASM core.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { REJECT_AFTER_TIME_MS, REKEY_AFTER_TIME_MS } from "../../src/wireguard/constants.js";
import { MESSAGE_COOKIE_REPLY, MESSAGE_INITIATION, MESSAGE_RESPONSE, MESSAGE_TRANSPORT } from "../../src/wireguard/messages.js";
import { ipv4Packet, ipv6Packet, payloadOf } from "../fakes/ip-packets.js";
import type { DeviceAction } from "../../src/wireguard/device.js";
import { outputActions, TestMesh, type TestNode } from "./device-pair.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function sendText(mesh: TestMesh, from: TestNode, to: TestNode, text: string, ipv6 = false): void {
  const packet = ipv6
    ? ipv6Packet(from.address6, to.address6, encoder.encode(text))
    : ipv4Packet(from.address4, to.address4, encoder.encode(text));
  mesh.network.writeTun(from, packet);
}

function texts(node: TestNode): string[] {
  return node.tun.map((packet) => decoder.decode(payloadOf(packet)));
}

function sentBy(mesh: TestMesh, node: TestNode, type: number): number {
  return mesh.network.sent.filter((d) => d.from === node.name && d.type === type).length;
}

describe("device: handshake and data", () => {
  test("a handshake completes, data flows both ways over IPv4 and IPv6, and data sent before the handshake arrives after it", () => {
    const mesh = new TestMesh(1);
    const [a, b] = mesh.pair();
    sendText(mesh, a, b, "queued-1");
    sendText(mesh, a, b, "queued-2", true);
    assert.deepEqual(b.tun, [], "nothing can arrive before the handshake");
    mesh.network.runFor(1000);
    assert.deepEqual(texts(b), ["queued-1", "queued-2"]);
    sendText(mesh, b, a, "reply", true);
    sendText(mesh, b, a, "reply-4");
    mesh.network.runFor(1000);
    assert.deepEqual(texts(a), ["reply", "reply-4"]);
    assert.equal(sentBy(mesh, a, MESSAGE_INITIATION), 1);
    assert.equal(sentBy(mesh, b, MESSAGE_RESPONSE), 1);
    for (const node of [a, b]) {
      const [peer] = node.device.peers();
      assert.ok(peer?.hasSession, `${node.name} has a session`);
      assert.ok(peer.rxBytes > 0 && peer.txBytes > 0);
      assert.ok(peer.lastHandshakeWallMs !== null);
      assert.equal(peer.handshakes, 1, `${node.name} counts the one completed handshake`);
    }
  });

  test("packets without a route, or not IP at all, are dropped and counted", () => {
    const mesh = new TestMesh(2);
    const [a] = mesh.pair();
    mesh.network.writeTun(a, ipv4Packet(a.address4, "10.9.9.9", encoder.encode("lost")));
    mesh.network.writeTun(a, encoder.encode("not an IP packet at all"));
    assert.equal(a.device.drops()["noRoute"], 1);
    assert.equal(a.device.drops()["notIpPacket"], 1);
    assert.equal(mesh.network.sent.length, 0);
  });

  test("a packet whose inner source is not in the sending peer's AllowedIPs is dropped and counted", () => {
    const mesh = new TestMesh(3);
    const [a, b] = mesh.pair();
    sendText(mesh, a, b, "legit");
    mesh.network.runFor(1000);
    mesh.network.writeTun(a, ipv4Packet("10.0.0.99", b.address4, encoder.encode("spoofed")));
    mesh.network.runFor(1000);
    assert.deepEqual(texts(b), ["legit"]);
    assert.equal(b.device.drops()["sourceNotAllowed"], 1);
    assert.equal(b.device.peers()[0]?.drops["sourceNotAllowed"], 1);
  });

  test("roaming: the endpoint follows the latest authenticated packet", () => {
    const mesh = new TestMesh(4);
    const a = mesh.addNode("a", 1);
    const b = mesh.addNode("b", 2);
    mesh.introduce(a, b);
    mesh.introduce(b, a, false); // b does not know where a is
    sendText(mesh, a, b, "hello");
    mesh.network.runFor(1000);
    assert.deepEqual(b.device.peers()[0]?.endpoint, a.endpoint, "learned from the handshake");
    mesh.network.move(a, { host: "198.51.100.7", port: 40000 });
    sendText(mesh, a, b, "from the new address");
    mesh.network.runFor(1000);
    assert.deepEqual(b.device.peers()[0]?.endpoint, { host: "198.51.100.7", port: 40000 });
    sendText(mesh, b, a, "found you");
    mesh.network.runFor(1000);
    assert.deepEqual(texts(a), ["found you"]);
  });
});

describe("device: peers whose path a layer above chooses", () => {
  test("roaming off: authentic packets from a new address do not move the endpoint the caller set", () => {
    const mesh = new TestMesh(41);
    const [a, b] = mesh.pair();
    mesh.network.apply(b, b.device.upsertPeer(mesh.network.now, { publicKey: a.publicKey, roaming: false }));
    const set = { ...a.endpoint };
    sendText(mesh, a, b, "hello");
    mesh.network.runFor(1000);
    mesh.network.move(a, { host: "198.51.100.7", port: 40000 });
    sendText(mesh, a, b, "from the new address");
    mesh.network.runFor(1000);
    assert.deepEqual(texts(b), ["hello", "from the new address"], "packets from anywhere are still taken");
    assert.deepEqual(b.device.peers()[0]?.endpoint, set, "but the endpoint stays the one set");
  });

  test("a slot of length 0 in a datagram batch is skipped and not counted (the caller took it)", () => {
    const mesh = new TestMesh(42);
    const [a] = mesh.pair();
    const output = a.device.handleDatagramBatch(0, [0, 0], [{ host: "192.0.2.9", port: 1 }, { host: "192.0.2.9", port: 1 }], 2);
    assert.deepEqual(outputActions(a.device, output), []);
    assert.deepEqual(a.device.drops(), {});
  });
});

describe("device: a batch whose verdicts start another batch", () => {
  test("the datagram that confirms a session releases the responder's staged packets mid-batch, and the rest of the batch still arrives", () => {
    const mesh = new TestMesh(44);
    const [a, b] = mesh.pair();
    const now = 0;
    const sends = (actions: DeviceAction[]): Uint8Array[] => actions.flatMap((action) => (action.type === "send" ? [action.datagram.slice()] : []));
    const fromA = { host: "192.0.2.1", port: 51820 };
    const fromB = { host: "192.0.2.2", port: 51820 };
    const [initiation] = sends(a.device.handleTunPacket(now, ipv4Packet(a.address4, b.address4, encoder.encode("a0"))));
    const [response] = sends(b.device.handleDatagram(now, initiation!, fromA));
    // b answered but has no confirmed session yet: its packets for a are staged.
    for (const text of ["b0", "b1", "b2"]) b.device.handleTunPacket(now, ipv4Packet(b.address4, a.address4, encoder.encode(text)));
    const transport = sends(a.device.handleDatagram(now, response!, fromB));
    for (const text of ["a1", "a2", "a3"]) transport.push(...sends(a.device.handleTunPacket(now, ipv4Packet(a.address4, b.address4, encoder.encode(text)))));
    assert.equal(transport.length, 4);

    // All four in one batch: the first confirms b's session, which sends b's three staged
    // packets (a batch of their own) before the other three datagrams are acted on.
    const layout = b.device.batchLayout;
    const arena = new Uint8Array(layout.buffer, layout.arenaOffset);
    transport.forEach((datagram, i) => arena.set(datagram, i * layout.slotBytes));
    const actions = outputActions(b.device, b.device.handleDatagramBatch(now, transport.map((datagram) => datagram.length), transport.map(() => fromA), transport.length));
    const delivered = actions.flatMap((action) => (action.type === "tun" ? [decoder.decode(payloadOf(action.packet))] : []));
    assert.deepEqual(delivered, ["a0", "a1", "a2", "a3"]);
    assert.equal(sends(actions).length, 3, "b's staged packets went out");
    assert.deepEqual(b.device.drops(), {});
  });
});

describe("device: a batch's packets stay in the arena", () => {
  test("sealed datagrams and opened packets are listed by place, not as actions, and arrive", () => {
    const mesh = new TestMesh(45);
    const [a, b] = mesh.pair();
    const now = 0;
    const fromA = { host: "192.0.2.1", port: 51820 };
    const [initiation] = a.device.handleTunPacket(now, ipv4Packet(a.address4, b.address4, encoder.encode("first")));
    assert.equal(initiation?.type, "send");
    const [response] = b.device.handleDatagram(now, (initiation as { datagram: Uint8Array }).datagram.slice(), fromA);
    const released = a.device.handleDatagram(now, (response as { datagram: Uint8Array }).datagram.slice(), { host: "192.0.2.2", port: 51820 });
    for (const action of released) if (action.type === "send") b.device.handleDatagram(now, action.datagram.slice(), fromA);

    const texts = ["p0", "p1", "p2"];
    const aLayout = a.device.batchLayout;
    texts.forEach((text, i) => new Uint8Array(aLayout.buffer).set(ipv4Packet(a.address4, b.address4, encoder.encode(text)), aLayout.arenaOffset + i * aLayout.slotBytes + aLayout.headerBytes));
    const sealed = a.device.handleTunBatch(now, texts.map((text) => ipv4Packet(a.address4, b.address4, encoder.encode(text)).length), texts.length);
    assert.equal(sealed.actions.length, 0);
    assert.equal(sealed.sends.count, 3);
    const datagrams = outputActions(a.device, sealed).map((action) => (action.type === "send" ? action.datagram : new Uint8Array(0)));

    const bLayout = b.device.batchLayout;
    datagrams.forEach((datagram, i) => new Uint8Array(bLayout.buffer).set(datagram, bLayout.arenaOffset + i * bLayout.slotBytes));
    const opened = b.device.handleDatagramBatch(now, datagrams.map((datagram) => datagram.length), datagrams.map(() => fromA), datagrams.length);
    assert.equal(opened.actions.length, 0);
    assert.equal(opened.tunWrites.count, 3);
    const delivered = outputActions(b.device, opened).map((action) => (action.type === "tun" ? decoder.decode(payloadOf(action.packet)) : ""));
    assert.deepEqual(delivered, texts);
  });
});

describe("device: timers and rekeying", () => {
  test("continuous traffic across several REKEY_AFTER_TIME periods loses no packet; only the initiator re-keys", () => {
    const mesh = new TestMesh(5);
    const [a, b] = mesh.pair();
    // a initiates the first session; had both sent at once, both would be initiators.
    sendText(mesh, a, b, "start");
    mesh.network.runFor(1000);
    const seconds = 400;
    for (let t = 0; t < seconds * 2; t++) {
      mesh.network.runUntil(1000 + t * 500);
      sendText(mesh, a, b, `a${t}`);
      sendText(mesh, b, a, `b${t}`);
    }
    mesh.network.runFor(2000);
    const expectedFromA = ["start", ...Array.from({ length: seconds * 2 }, (_, t) => `a${t}`)];
    const expectedFromB = Array.from({ length: seconds * 2 }, (_, t) => `b${t}`);
    assert.deepEqual(texts(b), expectedFromA);
    assert.deepEqual(texts(a), expectedFromB);
    const rekeys = sentBy(mesh, a, MESSAGE_INITIATION);
    assert.ok(rekeys >= Math.floor((seconds * 1000) / REKEY_AFTER_TIME_MS) + 1, `a initiated ${rekeys} handshakes`);
    assert.equal(sentBy(mesh, b, MESSAGE_INITIATION), 0, "the responder never initiates a rekey");
    assert.equal(a.device.peers()[0]!.handshakes, rekeys, "every initiation completed (no loss) and was counted");
    assert.equal(b.device.peers()[0]!.handshakes, rekeys);
  });

  test("a receive-only initiator re-keys before REJECT_AFTER_TIME; the responder still never does", () => {
    const mesh = new TestMesh(6);
    const [a, b] = mesh.pair();
    sendText(mesh, a, b, "open");
    mesh.network.runFor(1000);
    for (let t = 1; t <= 400; t++) {
      mesh.network.runUntil(t * 1000);
      sendText(mesh, b, a, `b${t}`);
    }
    mesh.network.runFor(2000);
    assert.deepEqual(texts(a), Array.from({ length: 400 }, (_, i) => `b${i + 1}`));
    assert.equal(sentBy(mesh, b, MESSAGE_INITIATION), 0);
    assert.ok(sentBy(mesh, a, MESSAGE_INITIATION) >= 3);
  });

  test("after 3 × REJECT_AFTER_TIME of silence every key is zeroed and no timer is left", () => {
    const mesh = new TestMesh(7);
    const [a, b] = mesh.pair();
    sendText(mesh, a, b, "once");
    mesh.network.runFor(1000);
    const captured = mesh.network.sent.find((d) => d.from === "a" && d.type === MESSAGE_TRANSPORT)!;
    mesh.network.runFor(3 * REJECT_AFTER_TIME_MS + 30_000);
    for (const node of [a, b]) {
      assert.equal(node.device.peers()[0]?.hasSession, false);
      assert.equal(node.device.nextDeadline(), null, `${node.name} has no timer left`);
      assert.ok(node.dataplane.transport.keyTable().every((byte) => byte === 0), `${node.name}'s key table is all zeros`);
    }
    mesh.network.inject(b, captured.bytes, a.endpoint);
    assert.equal(b.device.drops()["unknownReceiverIndex"], 1, "an old packet finds no keypair");
  });

  test("an idle session sends keepalives only while data flows one way", () => {
    const mesh = new TestMesh(8);
    const [a, b] = mesh.pair();
    sendText(mesh, a, b, "ping");
    mesh.network.runFor(20_000);
    // b received data and sent nothing back: it must send one keepalive (KEEPALIVE_TIMEOUT).
    const keepalives = mesh.network.sent.filter((d) => d.from === "b" && d.type === MESSAGE_TRANSPORT && d.bytes.length === 32);
    assert.equal(keepalives.length, 1);
  });

  test("persistent keepalive sends an empty packet every interval", () => {
    const mesh = new TestMesh(9);
    const a = mesh.addNode("a", 1);
    const b = mesh.addNode("b", 2);
    mesh.introduce(b, a);
    mesh.introduce(a, b, true, { persistentKeepaliveSeconds: 25 });
    mesh.network.runFor(100_000);
    const keepalives = mesh.network.sent.filter((d) => d.from === "a" && d.type === MESSAGE_TRANSPORT && d.bytes.length === 32);
    assert.ok(keepalives.length >= 4 && keepalives.length <= 5, `${keepalives.length} keepalives in 100 s`);
  });
});

describe("device: hostile networks", () => {
  test("30% loss, duplication and reordering: handshakes retry and complete, duplicates never reach the TUN", () => {
    const mesh = new TestMesh(10, { loss: 0.3, duplicate: 0.3, reorder: 0.3, reorderDelayMs: 200 });
    const [a, b] = mesh.pair();
    for (let t = 0; t < 300; t++) {
      mesh.network.runUntil(t * 1000);
      sendText(mesh, a, b, `m${t}`);
    }
    mesh.network.runFor(30_000);
    const delivered = texts(b);
    assert.equal(new Set(delivered).size, delivered.length, "no packet delivered twice");
    assert.ok(delivered.length > 150, `only ${delivered.length} of 300 delivered`);
    assert.ok(b.device.peers()[0]?.hasSession);
    assert.ok((b.device.drops()["replay"] ?? 0) > 0, "duplicated transport packets were dropped as replays");
    assert.ok(sentBy(mesh, a, MESSAGE_INITIATION) > 1, "handshakes were retried");
  });

  test("a replayed initiation is refused and changes nothing", () => {
    const mesh = new TestMesh(11);
    const [a, b] = mesh.pair();
    sendText(mesh, a, b, "first");
    mesh.network.runFor(1000);
    const initiation = mesh.network.sent.find((d) => d.type === MESSAGE_INITIATION)!;
    const responsesBefore = sentBy(mesh, b, MESSAGE_RESPONSE);
    mesh.network.runFor(1000);
    mesh.network.inject(b, initiation.bytes, a.endpoint);
    assert.equal(sentBy(mesh, b, MESSAGE_RESPONSE), responsesBefore);
    assert.equal(b.device.drops()["handshakeFailed"], 1);
    sendText(mesh, a, b, "second");
    mesh.network.runFor(1000);
    assert.deepEqual(texts(b), ["first", "second"], "the session survived the replay");
  });

  test("under load, an initiation without mac2 gets a cookie reply, and the retry with mac2 succeeds", () => {
    const mesh = new TestMesh(12);
    const a = mesh.addNode("a", 1);
    const b = mesh.addNode("b", 2, { handshakesPerSecondUnderLoad: 1 });
    mesh.introduce(a, b);
    mesh.introduce(b, a);
    sendText(mesh, a, b, "knock");
    mesh.network.runFor(1000);
    assert.equal(sentBy(mesh, b, MESSAGE_COOKIE_REPLY), 1);
    assert.equal(sentBy(mesh, b, MESSAGE_RESPONSE), 0);
    assert.deepEqual(b.tun, []);
    mesh.network.runFor(10_000); // the retransmission carries mac2
    assert.equal(sentBy(mesh, b, MESSAGE_RESPONSE), 1);
    assert.deepEqual(texts(b), ["knock"]);
  });
});
