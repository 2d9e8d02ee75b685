// The packet loop (src/interface/packet-loop.ts) between two devices, on the in-memory TUN and
// UDP with a fake clock: what a running interface does, without root — packets cross encrypted,
// the first one starts the handshake, timers fire through the loop, a UDP flood cannot starve
// the TUN, a deleted interface stops it, and new sockets take over from old ones.

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { KEEPALIVE_TIMEOUT_MS, REKEY_TIMEOUT_JITTER_MAX_MS, REKEY_TIMEOUT_MS } from "../../src/wireguard/constants.js";
import { messageType } from "../../src/wireguard/messages.js";
import { EBADFD } from "../fakes/memory-tun.js";
import type { Datagram } from "../fakes/memory-udp.js";
import { ipv4Packet, ipv6Packet } from "../fakes/ip-packets.js";
import type { SideChannel } from "../../src/interface/packet-loop.js";
import { prefixes } from "../wireguard/device-pair.js";
import { LoopMesh, udpOf, type LoopNode } from "./loop-mesh.js";

const INITIATION = 1;
const RESPONSE = 2;
const TRANSPORT = 4;
const KEEPALIVE_BYTES = 32; // transport header (16) + the tag of an empty payload (16)

let mesh: LoopMesh;
afterEach(() => mesh.stop());

const payload = (text: string): Uint8Array => new TextEncoder().encode(text);
const from = (node: LoopNode) => (datagram: Datagram): boolean => datagram.from.host === node.host.ipv4 || datagram.from.host === node.host.ipv6;
const types = (datagrams: readonly Datagram[]): (number | null)[] => datagrams.map((datagram) => messageType(datagram.bytes));
const contains = (haystack: Uint8Array, needle: Uint8Array): boolean => Buffer.from(haystack).includes(Buffer.from(needle));

// Records each datagram handed to the network with the fake clock's time; `lose` may drop it.
function timeline(m: LoopMesh, lose: (datagram: Datagram) => boolean = () => false): { at: number; datagram: Datagram }[] {
  const seen: { at: number; datagram: Datagram }[] = [];
  m.network.filter = (datagram) => {
    seen.push({ at: m.clock.now(), datagram });
    return !lose(datagram);
  };
  return seen;
}

test("a TUN packet crosses as an encrypted datagram to the other TUN; the first one starts the handshake", async () => {
  mesh = new LoopMesh(1);
  const [a, b] = mesh.pair();
  const secret = payload("a packet for b, never on the wire in clear");
  const packet = ipv4Packet(a.address4, b.address4, secret);
  a.tun.inject(packet);
  await mesh.settle();

  assert.deepEqual(b.tun.written, [packet]);
  assert.deepEqual(types(mesh.network.log), [INITIATION, RESPONSE, TRANSPORT], "handshake, then the packet");
  assert.deepEqual(mesh.network.log.map((d) => d.to), [mesh.endpointOf(b), mesh.endpointOf(a), mesh.endpointOf(b)]);
  assert.ok(mesh.network.log.every((d) => !contains(d.bytes, secret)), "the payload travels encrypted");

  const reply = ipv6Packet(b.address6, a.address6, payload("and back, over the session"));
  b.tun.inject(reply);
  await mesh.settle();
  assert.deepEqual(a.tun.written, [reply]);
  assert.deepEqual(types(mesh.network.log.slice(3)), [TRANSPORT], "no second handshake");
});

test("the loop's timer retransmits a lost initiation after REKEY_TIMEOUT, and sends the keepalive KEEPALIVE_TIMEOUT later", async () => {
  mesh = new LoopMesh(2);
  const [a, b] = mesh.pair();
  let initiations = 0;
  const sent = timeline(mesh, (datagram) => messageType(datagram.bytes) === INITIATION && initiations++ === 0);
  const packet = ipv4Packet(a.address4, b.address4, payload("waits for the session"));
  a.tun.inject(packet);
  await mesh.settle();
  assert.equal(sent.length, 1, "one initiation, lost");
  assert.deepEqual(b.tun.written, []);

  await mesh.advance(REKEY_TIMEOUT_MS - 1);
  assert.equal(sent.length, 1, "nothing before REKEY_TIMEOUT");
  await mesh.advance(REKEY_TIMEOUT_JITTER_MAX_MS + 1);
  assert.deepEqual(types(sent.map((s) => s.datagram)), [INITIATION, INITIATION, RESPONSE, TRANSPORT]);
  const retransmitted = sent[1]!.at;
  assert.ok(retransmitted >= REKEY_TIMEOUT_MS && retransmitted < REKEY_TIMEOUT_MS + REKEY_TIMEOUT_JITTER_MAX_MS, `retransmitted at ${retransmitted} ms`);
  assert.deepEqual(b.tun.written, [packet], "the staged packet went out after the handshake");

  // b received data and has sent nothing since: its keepalive is due KEEPALIVE_TIMEOUT later.
  const received = sent[3]!.at;
  await mesh.advance(KEEPALIVE_TIMEOUT_MS + 1000);
  const keepalives = sent.slice(4).filter((s) => from(b)(s.datagram));
  assert.equal(keepalives.length, 1, "one keepalive from b");
  assert.equal(keepalives[0]!.at, received + KEEPALIVE_TIMEOUT_MS);
  assert.equal(messageType(keepalives[0]!.datagram.bytes), TRANSPORT);
  assert.equal(keepalives[0]!.datagram.bytes.length, KEEPALIVE_BYTES);
  assert.deepEqual(a.tun.written, [], "a keepalive writes nothing to the TUN");
});

test("persistent keepalive: one datagram every interval, driven by the loop's timer alone", async () => {
  mesh = new LoopMesh(3);
  const a = mesh.addNode("a", 1);
  const b = mesh.addNode("b", 2);
  mesh.introduce(b, a);
  const sent = timeline(mesh);
  mesh.introduce(a, b, { persistentKeepaliveSeconds: 25 }); // sends a first keepalive: handshake
  await mesh.settle();
  const start = mesh.clock.now();
  await mesh.advance(100_000);
  const keepalives = sent.filter((s) => from(a)(s.datagram) && s.datagram.bytes.length === KEEPALIVE_BYTES && s.at > start);
  assert.deepEqual(keepalives.map((s) => s.at - start), [25_000, 50_000, 75_000, 100_000]);
});

test("a flood on UDP cannot starve the TUN: the TUN's packet leaves while the flood still waits", async () => {
  mesh = new LoopMesh(4);
  const [a, b] = mesh.pair();
  a.tun.inject(ipv4Packet(a.address4, b.address4, payload("handshake first")));
  await mesh.settle();

  const attacker = mesh.network.host("198.51.100.66").openUdp(0);
  const junk = Array.from({ length: 5000 }, (_, i) => Uint8Array.from([TRANSPORT, 0, 0, 0, i & 0xff, i >> 8, 7, 7, ...new Array<number>(40).fill(i & 0xff)]));
  let waitingWhenSent: number | null = null;
  timeline(mesh, (datagram) => {
    if (from(a)(datagram) && waitingWhenSent === null) waitingWhenSent = udpOf(a).waiting;
    return false;
  });
  assert.equal(attacker.send(junk, junk.map(() => mesh.endpointOf(a))), junk.length);
  const packet = ipv4Packet(a.address4, b.address4, payload("must not wait for the flood"));
  a.tun.inject(packet);
  await mesh.settle();

  assert.ok(waitingWhenSent !== null && waitingWhenSent > 0, `the flood still waited when the TUN packet left (${waitingWhenSent} datagrams)`);
  assert.ok(waitingWhenSent < junk.length, "the flood's first wake ran before");
  assert.deepEqual(b.tun.written.at(-1), packet);
  assert.equal(udpOf(a).waiting, 0, "and the flood was drained after");
  attacker.close();
});

test("a TUN deleted from outside: the loop reports its errno once and does nothing more", async () => {
  mesh = new LoopMesh(5);
  const a = mesh.addNode("a", 1);
  const b = mesh.addNode("b", 2);
  mesh.introduce(a, b, { persistentKeepaliveSeconds: 25 });
  mesh.introduce(b, a);
  await mesh.settle();
  a.tun.remove();
  await mesh.settle();
  assert.deepEqual(a.gone, [EBADFD]);

  const sentBefore = mesh.network.log.filter(from(a)).length;
  b.tun.inject(ipv4Packet(b.address4, a.address4, payload("to a stopped loop")));
  await mesh.advance(60_000);
  assert.equal(mesh.network.log.filter(from(a)).length, sentBefore, "no keepalive, no answer: the loop stopped");
  assert.ok(udpOf(a).waiting > 0, "datagrams for a are no longer read");
  assert.deepEqual(a.gone, [EBADFD], "reported once");
});

test("replaceUdp: the old sockets close, the new ones carry the traffic both ways", async () => {
  mesh = new LoopMesh(6);
  const [a, b] = mesh.pair();
  a.tun.inject(ipv4Packet(a.address4, b.address4, payload("over the first port")));
  await mesh.settle();
  const old = udpOf(a);

  const replacement = mesh.openUdp(a, 51999);
  a.loop.replaceUdp(replacement);
  assert.equal(old.closed, true);
  const out = ipv4Packet(a.address4, b.address4, payload("from the new port"));
  a.tun.inject(out);
  await mesh.settle();
  assert.deepEqual(b.tun.written.at(-1), out);
  assert.equal(b.device.peers()[0]!.endpoint?.port, 51999, "b follows a to its new port");

  const back = ipv4Packet(b.address4, a.address4, payload("to the new port"));
  b.tun.inject(back);
  await mesh.settle();
  assert.deepEqual(a.tun.written.at(-1), back, "the loop reads the new sockets");
});

test("stop(): the sockets close and the timer is cancelled", async () => {
  mesh = new LoopMesh(7);
  const a = mesh.addNode("a", 1);
  const b = mesh.addNode("b", 2);
  mesh.introduce(a, b, { persistentKeepaliveSeconds: 25 }); // b does not know a: a retries
  await mesh.settle();
  assert.notEqual(mesh.clock.nextDue(), null, "a's timer is armed");
  const sentBefore = mesh.network.log.filter(from(a)).length;
  a.loop.stop();
  a.running = false;
  assert.equal(udpOf(a).closed, true);
  assert.equal(mesh.clock.nextDue(), null, "and now it is not");
  await mesh.advance(100_000);
  assert.equal(mesh.network.log.filter(from(a)).length, sentBefore);
});

test("a side channel takes other protocols out of each batch and routes the peers it owns; relayed datagrams come in through receive()", async () => {
  mesh = new LoopMesh(9);
  const taken: string[] = [];
  const routed: (number | null)[] = [];
  // The owned endpoint of peer b (what src/nat gives a peer whose path it chooses): a discard
  // address, recognised by identity.
  const pathOfB = { host: "100::1", port: 1 };
  let a!: LoopNode;
  const side: SideChannel = {
    take(arena, offset, length) {
      // "xxxx" + a WireGuard datagram stands for a relay frame: unwrapped in place, kept in the batch.
      if (arena[offset] === 0x78) {
        arena.copyWithin(offset, offset + 4, offset + length);
        return { length: length - 4, from: pathOfB };
      }
      if (arena[offset] !== 0x6d) return null;
      taken.push(new TextDecoder().decode(arena.subarray(offset, offset + length)));
      return "taken";
    },
    route(to, buffer, offset, length) {
      if (to !== pathOfB) return to;
      const bytes = new Uint8Array(buffer, offset, length);
      routed.push(messageType(bytes));
      // The path layer's choice, b's address: the initiation as other bytes (as a relay would
      // wrap it), the rest as they are.
      return messageType(bytes) === INITIATION ? { to: mesh.endpointOf(b), datagram: bytes.slice() } : mesh.endpointOf(b);
    },
  };
  a = mesh.addNode("a", 1, 51820, side);
  const b = mesh.addNode("b", 2);
  mesh.introduce(b, a);
  a.loop.apply(a.device.upsertPeer(mesh.clock.now(), { publicKey: b.publicKey, allowedIps: prefixes(`${b.address4}/32`), endpoint: pathOfB, roaming: false }));

  const packet = ipv4Packet(a.address4, b.address4, payload("routed by the side channel"));
  a.tun.inject(packet);
  await mesh.settle();
  assert.deepEqual(b.tun.written, [packet]);
  assert.ok(routed.includes(INITIATION) && routed.includes(TRANSPORT), `the initiation and the data were routed by the side channel: ${routed.join(", ")}`);
  assert.equal(a.device.peers()[0]!.endpoint, pathOfB, "b's answers did not move the owned endpoint");

  b.loop.udp.send([payload("mg-disco-ish")], [mesh.endpointOf(a)]);
  await mesh.settle();
  assert.deepEqual(taken, ["mg-disco-ish"]);
  assert.deepEqual(a.device.drops(), {}, "the device never saw it");

  // A WireGuard datagram from b that arrives another way (a relay) goes in through receive().
  const relayed: Uint8Array[] = [];
  mesh.network.filter = (datagram) => {
    if (datagram.to.port !== mesh.endpointOf(a).port || messageType(datagram.bytes) !== TRANSPORT) return true;
    relayed.push(datagram.bytes);
    return false;
  };
  const reply = ipv4Packet(b.address4, a.address4, payload("over the relay"));
  b.tun.inject(reply);
  await mesh.settle();
  assert.deepEqual(a.tun.written, []);
  a.loop.receive(relayed[0]!, pathOfB);
  await mesh.settle();
  assert.deepEqual(a.tun.written, [reply]);

  // One carried inside another protocol on the socket: unwrapped in place, into the batch.
  const again = ipv4Packet(b.address4, a.address4, payload("wrapped"));
  b.tun.inject(again);
  await mesh.settle();
  const wrapped = new Uint8Array([0x78, 0x78, 0x78, 0x78, ...relayed[1]!]);
  mesh.network.filter = () => true;
  b.loop.udp.send([wrapped], [mesh.endpointOf(a)]);
  await mesh.settle();
  assert.deepEqual(a.tun.written, [reply, again]);
  assert.deepEqual(a.device.drops(), {});
});
