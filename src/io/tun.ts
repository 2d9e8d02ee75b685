// A TUN interface (IFF_TUN | IFF_NO_PI): IP packets in and out, in batches. Closing it removes
// the interface (it is not made persistent), so a crash never leaves a stale device behind.

import { loadNativeIo, type NativeIo } from "./native.js";

export interface Tun {
  readonly name: string;
  // Reads up to `count` packets into slot i at byteOffset + i * stride of `buffer`; lengths[i]
  // gets each length. Returns how many were read (0 when none is waiting), or a negative errno
  // when the interface is gone.
  readBatch(buffer: ArrayBuffer, byteOffset: number, stride: number, count: number, maxLength: number, lengths: Uint32Array): number;
  write(packets: Uint8Array[]): number;
  onReadable(callback: () => void): void;
  close(): void;
}

export function openTun(name: string, native: NativeIo = loadNativeIo()): Tun {
  const [fd, actualName] = native.tunOpen(name);
  let watcher: object | null = null;
  let closed = false;
  return {
    name: actualName,
    readBatch: (buffer, byteOffset, stride, count, maxLength, lengths) =>
      native.tunRead(fd, buffer, byteOffset, stride, count, maxLength, lengths),
    write: (packets) => native.tunWrite(fd, packets),
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
