// The contract of src/io/tun.ts's Tun, one suite for every implementation: the in-memory fake
// (test/io/tun-contract.test.ts) and the real TUN in a network namespace, as root
// (test/interop/tun-contract.test.ts). A harness gives each the same "system side": a UDP
// socket on the interface's address, and a peer address routed through the interface.

import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import type { Tun } from "../../src/io/tun.js";
import { ipv4UdpPacket, parseIpv4Udp } from "../fakes/ip-packets.js";
import { createSlots, takeSlots } from "./batch-slots.js";

export const DISCARD_PORT = 9;

export interface TunHarness {
  readonly tun: Tun;
  readonly local: string; // the interface's address, where the system's socket is bound
  readonly localPort: number;
  readonly peer: string; // an address routed through the interface
  // The system's socket sends each payload to peer:DISCARD_PORT: one IPv4 packet each to read.
  sendThrough(payloads: readonly Uint8Array[]): Promise<void>;
  // The payloads of the first `count` datagrams the system's socket received.
  received(count: number): Promise<Uint8Array[]>;
  // Deletes the interface from outside (`ip link del`).
  remove(): Promise<void>;
  close(): Promise<void>;
}

const payload = (length: number, seed: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff);
const readable = (tun: Tun): Promise<void> => new Promise((resolve) => tun.onReadable(resolve));
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sorted = (items: Uint8Array[]): string[] => items.map((item) => Buffer.from(item).toString("hex")).sort();

export function describeTunContract(name: string, open: () => Promise<TunHarness>): void {
  describe(name, { timeout: 60_000 }, () => {
    let harness: TunHarness | null = null;
    const start = async (): Promise<TunHarness> => (harness = await open());
    afterEach(async () => {
      await harness?.close();
      harness = null;
    });

    test("reads a batch into the slots at offset and stride, each with its length, and writes nothing else", async () => {
      const h = await start();
      const payloads = [payload(1, 1), payload(200, 2), payload(1372, 3)];
      const ready = readable(h.tun);
      await h.sendThrough(payloads);
      await ready;
      const slots = createSlots(24, 2048, 64, 1500);
      const count = h.tun.readBatch(slots.buffer, slots.byteOffset, slots.stride, slots.count, slots.maxLength, slots.lengths);
      assert.equal(count, 3);
      const packets = takeSlots(slots, count);
      packets.forEach((packet, i) => {
        assert.equal(slots.lengths[i], 28 + payloads[i]!.length, `packet ${i}: IPv4 and UDP headers and the payload`);
        const udp = parseIpv4Udp(packet);
        assert.ok(udp, `packet ${i} is IPv4/UDP`);
        assert.deepEqual([udp.source, udp.sourcePort, udp.destination, udp.destinationPort], [h.local, h.localPort, h.peer, DISCARD_PORT]);
        assert.deepEqual(udp.payload, payloads[i]);
      });
    });

    test("a read takes at most `count` packets; the rest wait for the next; nothing waiting reads 0", async () => {
      const h = await start();
      const ready = readable(h.tun);
      await h.sendThrough([payload(10, 1), payload(20, 2), payload(30, 3)]);
      await ready;
      const slots = createSlots(0, 1500, 2, 1500);
      const read = (count: number): number => h.tun.readBatch(slots.buffer, 0, slots.stride, count, slots.maxLength, slots.lengths);
      assert.equal(read(2), 2);
      assert.deepEqual([...slots.lengths], [38, 48]);
      takeSlots(slots, 2);
      assert.equal(read(2), 1);
      assert.equal(slots.lengths[0], 58);
      takeSlots(slots, 1);
      assert.equal(read(2), 0);
      assert.equal(read(0), 0);
    });

    test("a packet longer than maxLength is cut to maxLength, and its length says so", async () => {
      const h = await start();
      const ready = readable(h.tun);
      await h.sendThrough([payload(1000, 5), payload(50, 6)]);
      await ready;
      const slots = createSlots(16, 1100, 2, 100);
      assert.equal(h.tun.readBatch(slots.buffer, slots.byteOffset, slots.stride, 2, slots.maxLength, slots.lengths), 2);
      assert.deepEqual([...slots.lengths], [100, 78]);
      const [cut, whole] = takeSlots(slots, 2);
      assert.deepEqual(parseIpv4Udp(cut!)?.payload, payload(1000, 5).subarray(0, 72));
      assert.deepEqual(parseIpv4Udp(whole!)?.payload, payload(50, 6));
    });

    test("a batch that does not fit the buffer is refused with a RangeError", async () => {
      const h = await start();
      const slots = createSlots(0, 100, 4, 100);
      const refused = { name: "RangeError", code: "ERANGE" };
      assert.throws(() => h.tun.readBatch(slots.buffer, 0, 100, 5, 100, new Uint32Array(5)), refused, "more slots than the buffer holds");
      assert.throws(() => h.tun.readBatch(slots.buffer, 0, 100, 4, 100, new Uint32Array(3)), refused, "more slots than lengths");
      assert.throws(() => h.tun.readBatch(slots.buffer, slots.buffer.byteLength - 50, 100, 1, 100, slots.lengths), refused, "past the end");
    });

    test("writes a batch that reaches the system; a packet that is not IP is refused and the rest still go", async () => {
      const h = await start();
      const first = payload(64, 7);
      const second = payload(1200, 8);
      const toSystem = (bytes: Uint8Array): Uint8Array => ipv4UdpPacket(h.peer, 4000, h.local, h.localPort, bytes);
      const notIp = Uint8Array.of(0x00, 1, 2, 3, 4, 5, 6, 7);
      assert.equal(h.tun.write([toSystem(first), notIp, toSystem(second)]), 2);
      assert.deepEqual(sorted(await h.received(2)), sorted([first, second]));
    });

    test("writes packets given by place (writeSlots) from where they lie; one outside the buffer is refused", async () => {
      const h = await start();
      const payloads = [payload(64, 3), payload(1200, 4), payload(300, 5)];
      const packets = payloads.map((bytes) => ipv4UdpPacket(h.peer, 4000, h.local, h.localPort, bytes));
      const buffer = new ArrayBuffer(4096);
      const offsets = Uint32Array.of(7, 100, 2000);
      const lengths = Uint32Array.from(packets, (packet) => packet.length);
      packets.forEach((packet, i) => new Uint8Array(buffer, offsets[i], packet.length).set(packet));
      assert.equal(h.tun.writeSlots(buffer, offsets, lengths, packets.length), packets.length);
      assert.deepEqual(sorted(await h.received(3)), sorted(payloads));
      const outside = { name: "RangeError", code: "ERANGE" };
      assert.throws(() => h.tun.writeSlots(buffer, Uint32Array.of(4000), Uint32Array.of(200), 1), outside);
    });

    test("a write of more than 256 packets is refused with EINVAL, and none of it is written", async () => {
      const h = await start();
      const packets = Array.from({ length: 257 }, (_, i) => ipv4UdpPacket(h.peer, 4000, h.local, h.localPort, payload(10, i)));
      assert.throws(() => h.tun.write(packets), { code: "EINVAL" });
      // Had any of the refused packets gone through, one of them would arrive before this one.
      assert.equal(h.tun.write([ipv4UdpPacket(h.peer, 4000, h.local, h.localPort, payload(11, 7))]), 1);
      assert.deepEqual(await h.received(1), [payload(11, 7)]);
    });

    test("the newest readiness callback replaces the previous one", async () => {
      const h = await start();
      let replaced = 0;
      h.tun.onReadable(() => replaced++);
      const ready = readable(h.tun);
      await h.sendThrough([payload(10, 9)]);
      await ready;
      await nextTurn(); // the packet still waits: a watcher left behind would be called now
      const slots = createSlots(0, 1500, 1, 1500);
      assert.equal(h.tun.readBatch(slots.buffer, 0, 1500, 1, 1500, slots.lengths), 1);
      assert.equal(replaced, 0);
    });

    test("deleted from outside: readiness fires, reads return a negative errno, writes take nothing", async () => {
      const h = await start();
      const ready = readable(h.tun);
      await h.remove();
      await ready;
      const slots = createSlots(0, 1500, 4, 1500);
      const result = h.tun.readBatch(slots.buffer, 0, 1500, 4, 1500, slots.lengths);
      assert.ok(result < 0, `a negative errno, got ${result}`);
      assert.equal(h.tun.write([ipv4UdpPacket(h.peer, 4000, h.local, h.localPort, payload(10, 1))]), 0);
    });
  });
}
