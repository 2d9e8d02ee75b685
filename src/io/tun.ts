// A TUN interface (IFF_TUN | IFF_NO_PI): IP packets in and out, in batches. Closing it removes
// the interface (it is not made persistent), so a crash never leaves a stale device behind.
//
// With offloads (the default where the kernel has them), the kernel hands over TCP
// super-packets and takes coalesced ones: the addon segments and coalesces, so callers still
// read and write MTU-sized IP packets, only in fewer system calls (see native/tun.c).

import { loadNativeIo, type NativeIo } from "./native.js";

export interface TunOptions {
  // Ask for TSO, checksum offload and GRO (IFF_VNET_HDR); falls back to plain packets when
  // the kernel refuses.
  readonly offload?: boolean;
}

export interface TunStats {
  readonly dropped: number; // packets read that could not be used (malformed super-packets)
  readonly superPackets: number; // TCP super-packets read (TSO)
  readonly segmentsCut: number; // the packets cut from them
  readonly coalescedWrites: number; // super-packets written (GRO)
  readonly coalescedPackets: number; // the packets they held
}

export interface Tun {
  readonly name: string;
  // Whether the kernel granted the offloads.
  readonly offloaded: boolean;
  // Reads up to `count` packets into slot i at byteOffset + i * stride of `buffer`; lengths[i]
  // gets each length. Returns how many were read (0 when none is waiting), or a negative errno
  // when the interface is gone.
  readBatch(buffer: ArrayBuffer, byteOffset: number, stride: number, count: number, maxLength: number, lengths: Uint32Array): number;
  // Whether packets already read from the kernel wait for the next readBatch (no readiness
  // event will announce them).
  hasPending(): boolean;
  // What the offloads did so far.
  stats(): TunStats;
  // Writes up to 256 packets (more: an EINVAL error, nothing written); returns how many the
  // kernel took (a refused one is skipped).
  write(packets: Uint8Array[]): number;
  // The same for packets given by place: lengths[i] bytes at offsets[i] of `buffer`.
  writeSlots(buffer: ArrayBuffer, offsets: Uint32Array, lengths: Uint32Array, count: number): number;
  onReadable(callback: () => void): void;
  close(): void;
}

export function openTun(name: string, options: TunOptions = {}, native: NativeIo = loadNativeIo()): Tun {
  const [fd, actualName, handle, offloaded] = native.tunOpen(name, options.offload ?? true);
  let watcher: object | null = null;
  let closed = false;
  return {
    name: actualName,
    offloaded,
    readBatch: (buffer, byteOffset, stride, count, maxLength, lengths) =>
      native.tunRead(handle, buffer, byteOffset, stride, count, maxLength, lengths),
    hasPending: () => offloaded && native.tunPending(handle),
    stats() {
      const [dropped, superPackets, segmentsCut, coalescedWrites, coalescedPackets] = native.tunStats(handle);
      return { dropped, superPackets, segmentsCut, coalescedWrites, coalescedPackets };
    },
    write: (packets) => native.tunWrite(handle, packets),
    writeSlots: (buffer, offsets, lengths, count) => native.tunWriteSlots(handle, buffer, offsets, lengths, count),
    onReadable(callback) {
      if (watcher !== null) native.unwatch(watcher);
      watcher = native.watch(fd, callback);
    },
    close() {
      if (closed) return;
      closed = true;
      if (watcher !== null) native.unwatch(watcher);
      native.close(fd);
    },
  };
}
