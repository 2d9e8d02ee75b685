// Fuzz: 200,000 random and mutated datagrams thrown at a Device — valid messages of every
// type with bit flips, truncations, extensions and wrong types, plus pure noise, from random
// sources. Nothing may escape as an exception, and afterwards the device must still be intact:
// same peers and routes, a fresh handshake works, data flows.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Endpoint } from "../../src/net/endpoint.js";
import { ipv4Packet, payloadOf } from "../fakes/ip-packets.js";
import { createSeededRandom, type SeededRandom } from "../fakes/seeded-random.js";
import { TestMesh } from "../wireguard/device-pair.js";

const DATAGRAMS = 200_000;

function mutate(random: SeededRandom, original: Uint8Array): Uint8Array {
  const bytes = original.slice();
  switch (random.below(6)) {
    case 0: // one bit
      bytes[random.below(bytes.length)]! ^= 1 << random.below(8);
      return bytes;
    case 1: // a few bytes
      for (let i = random.below(4) + 1; i > 0; i--) bytes[random.below(bytes.length)] = random.below(256);
      return bytes;
    case 2: // truncated
      return bytes.subarray(0, random.below(bytes.length));
    case 3: // extended
      return Uint8Array.from([...bytes, ...random.bytes(random.below(40) + 1)]);
    case 4: // another type, or garbage in the reserved bytes
      bytes[random.below(4)] = random.below(256);
      return bytes;
    default: // valid except the MACs / tag region
      bytes.set(random.bytes(Math.min(16, bytes.length)), Math.max(0, bytes.length - 16));
      return bytes;
  }
}

test(`a device survives ${DATAGRAMS} random and mutated datagrams and still works`, () => {
  const mesh = new TestMesh(0xf022);
  const [a, b] = mesh.pair();
  const encoder = new TextEncoder();
  mesh.network.writeTun(a, ipv4Packet(a.address4, b.address4, encoder.encode("before")));
  mesh.network.runFor(1000);
  mesh.network.writeTun(b, ipv4Packet(b.address4, a.address4, encoder.encode("reply")));
  mesh.network.runFor(30_000);
  // Seeds: real messages of every kind that crossed the wire, including cookie replies.
  const seeds = mesh.network.sent.map((d) => d.bytes);
  assert.ok(new Set(mesh.network.sent.map((d) => d.type)).size >= 3, "seeds cover several message types");
  const peersBefore = JSON.stringify(b.device.peers().map((p) => [Buffer.from(p.publicKey).toString("hex"), p.allowedIps]));

  const random = createSeededRandom(0xbad);
  const sources: Endpoint[] = [a.endpoint, { host: "203.0.113.9", port: 9 }, { host: "2001:db8::9", port: 99 }];
  for (let i = 0; i < DATAGRAMS; i++) {
    const from = random.pick(sources);
    const datagram =
      i % 5 === 0
        ? random.bytes(random.below(i % 1000 === 0 ? 70_000 : 200))
        : mutate(random, random.pick(seeds));
    if (i % 1000 === 0) mesh.network.now += 50; // let timers and rate limits move
    try {
      mesh.network.inject(b, datagram, from);
    } catch (error) {
      assert.fail(`datagram ${i} (${datagram.length} bytes, type ${datagram[0]}) threw: ${String(error)}`);
    }
  }
  const drops = b.device.drops();
  const dropped = Object.values(drops).reduce((sum, n) => sum + n, 0);
  assert.ok(dropped > DATAGRAMS / 2, `drops were counted (${dropped})`);

  // Intact: same configuration, and after the load has passed a new session works end to end.
  const peersAfter = JSON.stringify(b.device.peers().map((p) => [Buffer.from(p.publicKey).toString("hex"), p.allowedIps]));
  assert.equal(peersAfter, peersBefore);
  mesh.network.runFor(200_000);
  b.tun.length = 0;
  a.tun.length = 0;
  mesh.network.writeTun(a, ipv4Packet(a.address4, b.address4, encoder.encode("after")));
  mesh.network.runFor(30_000);
  mesh.network.writeTun(b, ipv4Packet(b.address4, a.address4, encoder.encode("after-reply")));
  mesh.network.runFor(30_000);
  assert.deepEqual(b.tun.map((p) => new TextDecoder().decode(payloadOf(p))), ["after"]);
  assert.deepEqual(a.tun.map((p) => new TextDecoder().decode(payloadOf(p))), ["after-reply"]);
});
