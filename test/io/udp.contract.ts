// The contract of src/io/udp.ts's UdpSockets, one suite for every implementation: the
// in-memory fake and the real sockets on loopback (test/io/udp-contract.test.ts). A harness
// opens sockets and says at which address (per family) they are reached.

import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import type { UdpSocket, UdpSockets } from "../../src/io/udp.js";
import type { Endpoint } from "../../src/net/endpoint.js";
import { describeNeeding, type Need } from "../requirements.js";
import { createSlots, takeSlots, type Slots } from "./batch-slots.js";

export interface UdpHarness {
  open(port: number): UdpSockets;
  address(family: 4 | 6): string;
}

interface Received {
  readonly bytes: Uint8Array; // the first min(length, maxLength) bytes
  readonly length: number;
  readonly source: Endpoint;
}

const datagram = (length: number, seed: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 13 + seed) & 0xff);
const socketOf = (sockets: UdpSockets, family: 4 | 6): UdpSocket => {
  const socket = sockets.sockets.find((candidate) => candidate.family === family);
  assert.ok(socket, `an IPv${family} socket`);
  return socket;
};

// Reads on readiness — and again on the next turn while the socket says datagrams it already
// took from the kernel are pending (GRO), as the packet loop does — until `total` datagrams
// arrived, each read into `slots` (checked: nothing written outside the items), and notes how
// many each read returned.
function receive(socket: UdpSocket, total: number, slots: Slots): Promise<{ items: Received[]; reads: number[] }> {
  const items: Received[] = [];
  const reads: number[] = [];
  const sources: Endpoint[] = [];
  return new Promise((resolve, reject) => {
    const read = (): void => {
      if (items.length >= total) return;
      try {
        const count = socket.receiveBatch(slots.buffer, slots.byteOffset, slots.stride, slots.count, slots.maxLength, slots.lengths, sources);
        reads.push(count);
        takeSlots(slots, count).forEach((bytes, i) => items.push({ bytes, length: slots.lengths[i]!, source: sources[i]! }));
        if (items.length >= total) resolve({ items, reads });
        else if (socket.hasPending()) setImmediate(read);
      } catch (error) {
        reject(error);
      }
    };
    socket.onReadable(read);
  });
}

export function describeUdpContract(name: string, harness: UdpHarness, needs: Readonly<Record<4 | 6, readonly Need[]>>): void {
  describe(name, { timeout: 60_000 }, () => {
    const opened: UdpSockets[] = [];
    const open = (port = 0): UdpSockets => {
      const sockets = harness.open(port);
      opened.push(sockets);
      return sockets;
    };
    afterEach(() => {
      for (const sockets of opened.splice(0)) sockets.close();
    });

    test("port 0 picks a free port, one for both families; a port in use is refused with EADDRINUSE until closed", () => {
      const a = open();
      assert.ok(a.port > 0);
      assert.deepEqual(a.sockets.map((socket) => socket.family), [4, 6]);
      const b = open();
      assert.notEqual(b.port, a.port);
      assert.throws(() => harness.open(a.port), { code: "EADDRINUSE" });
      a.close();
      assert.equal(open(a.port).port, a.port, "the port is free again");
    });

    for (const family of [4, 6] as const) {
      describeNeeding(needs[family], `IPv${family}`, () => {
        test("a batch lands in the slots at offset and stride, with each length and the sender as source", async () => {
          const [a, b] = [open(), open()];
          const datagrams = [datagram(0, 1), datagram(1, 2), datagram(100, 3), datagram(1400, 4), datagram(9000, 5)];
          const to: Endpoint = { host: harness.address(family), port: b.port };
          const arrived = receive(socketOf(b, family), datagrams.length, createSlots(40, 9100, 64, 9100));
          assert.equal(a.send(datagrams, datagrams.map(() => to)), datagrams.length);
          const { items } = await arrived;
          assert.deepEqual(items.map((item) => item.length), datagrams.map((d) => d.length));
          assert.deepEqual(items.map((item) => item.bytes), datagrams);
          for (const item of items) assert.deepEqual(item.source, { host: harness.address(family), port: a.port });
        });

        test("datagrams from two senders each carry their own source", async () => {
          const [a, c, b] = [open(), open(), open()];
          const to: Endpoint = { host: harness.address(family), port: b.port };
          const arrived = receive(socketOf(b, family), 6, createSlots(0, 64, 64, 64));
          assert.equal(a.send([datagram(10, 1), datagram(11, 1), datagram(12, 1)], [to, to, to]), 3);
          assert.equal(c.send([datagram(20, 2), datagram(21, 2), datagram(22, 2)], [to, to, to]), 3);
          const { items } = await arrived;
          const senderPort = (item: Received): number => (item.length < 20 ? a.port : c.port);
          for (const item of items) assert.deepEqual(item.source, { host: harness.address(family), port: senderPort(item) }, `the ${item.length}-byte datagram`);
        });

        test("a datagram longer than maxLength: only maxLength bytes are written, and its full length is reported", async () => {
          const [a, b] = [open(), open()];
          const to: Endpoint = { host: harness.address(family), port: b.port };
          const arrived = receive(socketOf(b, family), 2, createSlots(8, 2048, 8, 1000));
          assert.equal(a.send([datagram(2000, 6), datagram(10, 7)], [to, to]), 2);
          const { items } = await arrived;
          assert.deepEqual(items.map((item) => item.length), [2000, 10]);
          assert.deepEqual(items[0]!.bytes, datagram(2000, 6).subarray(0, 1000));
          assert.deepEqual(items[1]!.bytes, datagram(10, 7));
        });
      });
    }

    test("a read takes at most `count`; the rest wait; an empty socket reads 0", async () => {
      const [a, b] = [open(), open()];
      const to: Endpoint = { host: harness.address(4), port: b.port };
      const socket = socketOf(b, 4);
      const slots = createSlots(0, 64, 2, 64);
      const arrived = receive(socket, 5, slots);
      assert.equal(a.send([1, 2, 3, 4, 5].map((n) => datagram(n, n)), Array(5).fill(to)), 5);
      const { items, reads } = await arrived;
      assert.ok(reads.every((count) => count >= 1 && count <= 2), `reads of 1 or 2: ${reads.join(", ")}`);
      assert.deepEqual(items.map((item) => item.length), [1, 2, 3, 4, 5]);
      assert.equal(socket.receiveBatch(slots.buffer, 0, slots.stride, 2, slots.maxLength, slots.lengths, []), 0);
    });

    test("equal-size datagrams to one destination (coalesced where the kernel can) arrive one per slot, in order, across small reads", async () => {
      const [a, b] = [open(), open()];
      const to: Endpoint = { host: harness.address(4), port: b.port };
      const datagrams = [...Array.from({ length: 40 }, (_, i) => datagram(1200, i)), datagram(700, 99)];
      const arrived = receive(socketOf(b, 4), datagrams.length, createSlots(16, 1300, 7, 1300));
      assert.equal(a.send(datagrams, datagrams.map(() => to)), datagrams.length);
      const { items, reads } = await arrived;
      assert.ok(reads.every((count) => count <= 7), `no read over its 7 slots: ${reads.join(", ")}`);
      assert.deepEqual(items.map((item) => item.length), datagrams.map((d) => d.length));
      assert.deepEqual(items.map((item) => item.bytes), datagrams);
      for (const item of items) assert.deepEqual(item.source, { host: harness.address(4), port: a.port });
    });

    test("one send of more datagrams than a native batch (128) delivers them all", async () => {
      const [a, b] = [open(), open()];
      const to: Endpoint = { host: harness.address(4), port: b.port };
      const datagrams = Array.from({ length: 137 }, (_, i) => datagram(8 + (i % 50), i));
      const arrived = receive(socketOf(b, 4), datagrams.length, createSlots(0, 64, 64, 64));
      assert.equal(a.send(datagrams, datagrams.map(() => to)), 137);
      const { items } = await arrived;
      assert.deepEqual(items.map((item) => item.bytes), datagrams);
    });

    test("datagrams given by place (sendSlots) leave from where they lie, each to its own destination, past a native batch; one outside the buffer is refused", async () => {
      const [a, b, c] = [open(), open(), open()];
      const toB: Endpoint = { host: harness.address(4), port: b.port };
      const toC: Endpoint = { host: harness.address(4), port: c.port };
      const count = 137;
      const buffer = new ArrayBuffer(count * 64 + 16);
      const offsets = new Uint32Array(count);
      const lengths = new Uint32Array(count);
      const datagrams = Array.from({ length: count }, (_, i) => datagram(8 + (i % 40), i));
      datagrams.forEach((bytes, i) => {
        offsets[i] = i * 64 + (i % 5); // anywhere in the buffer, not on a stride
        lengths[i] = bytes.length;
        new Uint8Array(buffer, offsets[i], bytes.length).set(bytes);
      });
      const to = datagrams.map((_, i) => (i % 2 === 0 ? toB : toC));
      const atB = receive(socketOf(b, 4), Math.ceil(count / 2), createSlots(0, 64, 64, 64));
      const atC = receive(socketOf(c, 4), Math.floor(count / 2), createSlots(0, 64, 64, 64));
      assert.equal(a.sendSlots(buffer, offsets, lengths, to, count), count);
      assert.deepEqual((await atB).items.map((item) => item.bytes), datagrams.filter((_, i) => i % 2 === 0));
      assert.deepEqual((await atC).items.map((item) => item.bytes), datagrams.filter((_, i) => i % 2 === 1));
      const outside = { name: "RangeError", code: "ERANGE" };
      assert.throws(() => a.sendSlots(buffer, Uint32Array.of(buffer.byteLength - 10), Uint32Array.of(20), [toB], 1), outside);
    });

    test("a datagram too big for UDP is skipped; the rest of the batch goes", async () => {
      const [a, b] = [open(), open()];
      const to: Endpoint = { host: harness.address(4), port: b.port };
      const arrived = receive(socketOf(b, 4), 2, createSlots(0, 128, 4, 128));
      assert.equal(a.send([datagram(20, 1), datagram(70_000, 2), datagram(30, 3)], [to, to, to]), 2);
      const { items } = await arrived;
      assert.deepEqual(items.map((item) => item.bytes), [datagram(20, 1), datagram(30, 3)]);
    });

    test("a batch that does not fit the buffer is refused with a RangeError", () => {
      const socket = socketOf(open(), 4);
      const slots = createSlots(0, 100, 4, 100);
      const refused = { name: "RangeError", code: "ERANGE" };
      assert.throws(() => socket.receiveBatch(slots.buffer, 0, 100, 5, 100, new Uint32Array(5), []), refused);
      assert.throws(() => socket.receiveBatch(slots.buffer, 0, 100, 129, 1, new Uint32Array(129), []), refused, "over the native batch");
      assert.throws(() => socket.receiveBatch(slots.buffer, slots.buffer.byteLength - 50, 100, 1, 100, slots.lengths, []), refused);
    });
  });
}
