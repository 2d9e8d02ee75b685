// What both threads of `npm run bench:cores` share: a WASM core sealing WireGuard-sized
// messages in its arena, and the layout of the control words (cores-worker.ts).

import { randomBytes } from "node:crypto";
import { createCryptoCore } from "../../src/dataplane/crypto-core.js";
import { compileCryptoWasm } from "../../src/dataplane/crypto-wasm.js";

export const MESSAGE_BYTES = 1420;
export const BATCH = 64;

export const CONTROL = { JOB: 0, DONE: 1, COUNT: 2, SPIN_US: 3, WORDS: 4 } as const;

export interface CoresWorkerData {
  readonly mode: "alone" | "jobs";
  readonly key: Uint8Array;
  readonly ms: number;
  readonly control: SharedArrayBuffer;
  readonly shared: SharedArrayBuffer;
}

export interface Sealer {
  readonly arena: Uint8Array;
  // Bytes from one message to the next in the arena (the message, its tag, padding to 16).
  readonly stride: number;
  // Seals messages 0..count-1 in place.
  seal(count: number): void;
}

// A core of its own (the release build), key in slot 0, BATCH random plaintexts in its arena.
export function sealerFor(key: Uint8Array): Sealer {
  const core = createCryptoCore(compileCryptoWasm("release"));
  core.keys.set(0, key);
  const stride = (MESSAGE_BYTES + 16 + 15) & ~15;
  core.batch.arena.set(randomBytes(stride * BATCH), 0);
  return {
    arena: core.batch.arena,
    stride,
    seal(count) {
      for (let i = 0; i < count; i++) core.batch.describe(i, 0, i, i * stride, MESSAGE_BYTES);
      if (core.batch.seal(count) !== count) throw new Error("seal failed in benchmark");
    },
  };
}

// Seals whole batches for `ms` milliseconds; returns MB/s (10^6 bytes).
export function sealForMs(sealer: Sealer, ms: number): number {
  let batches = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    sealer.seal(BATCH);
    batches++;
  }
  return (batches * BATCH * MESSAGE_BYTES) / ((performance.now() - start) * 1000);
}
