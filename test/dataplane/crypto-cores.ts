import assert from "node:assert/strict";

// One CryptoCore per WASM build, so every crypto test runs on the SIMD release build, the
// scalar build and the debug build (assertions on).

import { createCryptoCore, type CryptoCore } from "../../src/dataplane/crypto-core.js";
import { compileCryptoWasm, CRYPTO_WASM_VARIANTS } from "../../src/dataplane/crypto-wasm.js";

export function createAllCryptoCores(): CryptoCore[] {
  return CRYPTO_WASM_VARIANTS.map((variant) => createCryptoCore(compileCryptoWasm(variant)));
}

export function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, "hex"));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

// The WireGuard transport nonce: 4 zero bytes then the 64-bit little-endian counter.
export function transportNonce(counter: number): Uint8Array {
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setBigUint64(4, BigInt(counter), true);
  return nonce;
}

// Byte equality whatever the view type (the core returns pooled Buffers, tests build
// Uint8Arrays).
export function assertBytesEqual(actual: Uint8Array | null, expected: Uint8Array, message: string): void {
  assert.ok(actual !== null, `${message}: got null`);
  assert.equal(toHex(actual), toHex(expected), message);
}
