// An in-memory TUN (the role of wireguard-go's tun/tuntest): implements src/io/tun.ts's Tun,
// and its other side plays the kernel — inject() routes packets into the interface, `written`
// holds what the interface wrote, remove() deletes it from outside. The contract tests
// (test/io/tun.contract.ts) hold it to what the real TUN does:
//   - readBatch copies packet i to byteOffset + i * stride; a packet longer than maxLength is
//     cut to maxLength, and its length says maxLength (read(2) on a TUN truncates silently);
//   - write() and writeSlots() count the packets taken, at most 256 a call (more: EINVAL, none
//     written); one that is not IPv4 or IPv6 is refused (the kernel's
//     EINVAL), the rest of the batch still goes;
//   - once removed, readiness fires once and readBatch returns -EBADFD, write takes nothing.

import type { Tun } from "../../src/io/tun.js";
import { checkBatch, slotView } from "./batch-arguments.js";
import { createReadiness } from "./readiness.js";

export const EBADFD = 77;
// The most packets one write takes (the addon's WRITE_CHUNK).
export const MAX_TUN_WRITE = 256;

export interface MemoryTun extends Tun {
  // Packets the system routes into the interface (copied): readBatch returns them in order.
  inject(...packets: Uint8Array[]): void;
  // Copies of the packets write() took, oldest first; tests may empty it.
  readonly written: Uint8Array[];
  // Packets injected and not yet read.
  readonly waiting: number;
  // The interface is deleted from outside (`ip link del`).
  remove(): void;
  readonly closed: boolean;
}

const isIpPacket = (packet: Uint8Array): boolean => packet.length > 0 && (packet[0]! >> 4 === 4 || packet[0]! >> 4 === 6);

export function createMemoryTun(name = "mgmem0"): MemoryTun {
  const queue: Uint8Array[] = [];
  const written: Uint8Array[] = [];
  let removed = false;
  let removalSeen = false; // libuv stops polling after the error wake
  let closed = false;
  const readiness = createReadiness(() => (removed ? !removalSeen : queue.length > 0));
  return {
    name,
    offloaded: false,
    hasPending: () => false,
    stats: () => ({ dropped: 0, superPackets: 0, segmentsCut: 0, coalescedWrites: 0, coalescedPackets: 0 }),
    written,
    get waiting() {
      return queue.length;
    },
    get closed() {
      return closed;
    },
    inject(...packets) {
      if (removed || closed) return;
      for (const packet of packets) queue.push(packet.slice());
      readiness.poke();
    },
    remove() {
      removed = true;
      queue.length = 0;
      readiness.poke();
    },
    readBatch(buffer, byteOffset, stride, count, maxLength, lengths) {
      checkBatch(buffer, byteOffset, stride, count, maxLength, lengths);
      if (removed) return -EBADFD;
      const bytes = new Uint8Array(buffer);
      let read = 0;
      for (; read < count && queue.length > 0; read++) {
        const packet = queue.shift()!;
        const length = Math.min(packet.length, maxLength);
        bytes.set(packet.subarray(0, length), byteOffset + read * stride);
        lengths[read] = length;
      }
      return read;
    },
    writeSlots(buffer, offsets, lengths, count) {
      return this.write(Array.from({ length: count }, (_, i) => slotView(buffer, offsets[i]!, lengths[i]!)));
    },
    write(packets) {
      if (packets.length > MAX_TUN_WRITE) throw Object.assign(new Error(`tunWrite(handle, packets (at most ${MAX_TUN_WRITE}))`), { code: "EINVAL" });
      if (removed || closed) return 0;
      let taken = 0;
      for (const packet of packets) {
        if (!isIpPacket(packet)) continue;
        written.push(packet.slice());
        taken++;
      }
      return taken;
    },
    onReadable(callback) {
      readiness.watch(() => {
        if (removed) removalSeen = true;
        callback();
      });
    },
    close() {
      closed = true;
      readiness.unwatch();
    },
  };
}
