// A buffer laid out in slots the way the packet loop hands it to a batched read (slot i at
// byteOffset + i * stride, at most maxLength bytes each), pre-filled with a marker so a test
// can see that a read wrote only where it was allowed to.

import assert from "node:assert/strict";

const MARK = 0xee;

export interface Slots {
  readonly buffer: ArrayBuffer;
  readonly byteOffset: number;
  readonly stride: number;
  readonly count: number;
  readonly maxLength: number;
  readonly lengths: Uint32Array;
}

export function createSlots(byteOffset: number, stride: number, count: number, maxLength: number): Slots {
  const buffer = new ArrayBuffer(byteOffset + stride * (count - 1) + maxLength + 64);
  new Uint8Array(buffer).fill(MARK);
  return { buffer, byteOffset, stride, count, maxLength, lengths: new Uint32Array(count) };
}

// After a read of `read` items: copies each out (its first min(length, maxLength) bytes),
// checks that no other byte of the buffer changed, and re-marks the buffer for the next read.
export function takeSlots(slots: Slots, read: number): Uint8Array[] {
  const bytes = new Uint8Array(slots.buffer);
  const items: Uint8Array[] = [];
  const written = new Uint8Array(bytes.length);
  for (let i = 0; i < read; i++) {
    const start = slots.byteOffset + i * slots.stride;
    const length = Math.min(slots.lengths[i]!, slots.maxLength);
    items.push(bytes.slice(start, start + length));
    written.fill(1, start, start + length);
  }
  const stray = bytes.findIndex((value, index) => written[index] === 0 && value !== MARK);
  assert.equal(stray, -1, `byte ${stray} outside the ${read} item(s) read was written`);
  bytes.fill(MARK);
  return items;
}
