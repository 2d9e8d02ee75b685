// Loads meshgate's native I/O addon (src/io/native, built by node-gyp at `npm install`) and
// types its functions. The addon only makes system calls; the files beside this one wrap it.

import { createRequire } from "node:module";

export interface NativeIo {
  tunOpen(name: string, offload: boolean): [fd: number, name: string, handle: TunHandle, offloaded: boolean];
  tunRead(handle: TunHandle, buffer: ArrayBuffer, byteOffset: number, stride: number, count: number, maxLength: number, lengths: Uint32Array): number;
  tunWrite(handle: TunHandle, packets: Uint8Array[]): number;
  tunWriteSlots(handle: TunHandle, buffer: ArrayBuffer, offsets: Uint32Array, lengths: Uint32Array, count: number): number;
  tunPending(handle: TunHandle): boolean;
  tunStats(handle: TunHandle): [dropped: number, superPackets: number, segmentsCut: number, coalescedWrites: number, coalescedPackets: number];
  udpOpen(family: 4 | 6, port: number, fwmark: number, gro: boolean): [fd: number, port: number, handle: UdpHandle, groOn: boolean];
  udpSetMark(fd: number, fwmark: number): void;
  udpRecv(handle: UdpHandle, buffer: ArrayBuffer, byteOffset: number, stride: number, count: number, maxLength: number, lengths: Uint32Array, sources: Uint8Array): number;
  udpPending(handle: UdpHandle): boolean;
  udpSend(fd: number, datagrams: Uint8Array[], destinations: Uint8Array, gso: boolean): number;
  udpSendSlots(fd: number, buffer: ArrayBuffer, offsets: Uint32Array, lengths: Uint32Array, count: number, destinations: Uint8Array, gso: boolean): number;
  close(fd: number): void;
  watch(fd: number, onReadable: () => void): object;
  unwatch(handle: object): void;
}

// The addon's state of one TUN (an External): the descriptor, whether packets carry a virtio
// header, a super-packet being segmented.
export type TunHandle = object & { readonly __tunHandle: unique symbol };
// The same for a UDP socket: the descriptor and the coalesced datagrams (GRO) not yet taken.
export type UdpHandle = object & { readonly __udpHandle: unique symbol };

// 20-byte address records the addon reads and writes: family, 0, port (big-endian), address.
export const ADDRESS_RECORD_BYTES = 20;
export const MAX_NATIVE_BATCH = 128;

export class NativeIoMissingError extends Error {
  override readonly name = "NativeIoMissingError";
}

let loaded: NativeIo | null = null;

// dist/src/io/native.js → src/io/native/build/Release/meshgate_io.node
export function loadNativeIo(): NativeIo {
  if (loaded !== null) return loaded;
  const require = createRequire(import.meta.url);
  try {
    loaded = require("../../../src/io/native/build/Release/meshgate_io.node") as NativeIo;
  } catch (cause) {
    throw new NativeIoMissingError(
      'meshgate\'s native I/O addon is not built: run "npm install" (it needs python3, make and g++)',
      { cause },
    );
  }
  return loaded;
}
