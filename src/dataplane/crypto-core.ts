// The typed face of the WASM crypto core: one-shot AEAD calls for the handshake path (keys and
// messages copied in and out, key bytes wiped after every call), raw primitives for the
// known-answer tests, key slots and the batch API for the transport hot path.

import {
  HCHACHA_NONCE_BYTES,
  KEY_BYTES,
  MAX_AAD_BYTES,
  MAX_MESSAGE_BYTES,
  NONCE_BYTES,
  STATUS_AUTH_FAILED,
  STATUS_OK,
  TAG_BYTES,
  XNONCE_BYTES,
} from "../../assembly/abi.js";
import { createAeadBatch, type AeadBatch } from "./aead-batch.js";
import { requireByteLength, requireIntegerIn, requireMaxLength, U32_MAX } from "./arguments.js";
import { instantiateCore, type CoreFunctions, type CoreInstance } from "./core-exports.js";
import { coreStatusName } from "./core-status.js";
import type { CompiledCryptoWasm, CryptoWasmVariant } from "./crypto-wasm.js";
import { CryptoModuleError } from "./errors.js";
import { createKeySlots, type KeySlots } from "./key-slots.js";

export interface CryptoCore {
  readonly variant: CryptoWasmVariant;
  // AEAD_CHACHA20_POLY1305 (RFC 8439 §2.8): returns ciphertext ‖ 16-byte tag.
  seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array;
  // Returns the plaintext, or null when the message is not authentic (or too short to be).
  open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array | null;
  // XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha §2.3), 24-byte nonce; WireGuard's cookie reply.
  xseal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array;
  xopen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array | null;
  // Raw ChaCha20 (RFC 8439 §2.4): input XOR keystream starting at block `counter`.
  chacha20(key: Uint8Array, nonce: Uint8Array, counter: number, input: Uint8Array): Uint8Array;
  // Raw Poly1305 (RFC 8439 §2.5) under a 32-byte one-time key.
  poly1305(oneTimeKey: Uint8Array, message: Uint8Array): Uint8Array;
  // HChaCha20 (draft-irtf-cfrg-xchacha §2.2): 32-byte subkey from key and 16-byte nonce.
  hchacha20(key: Uint8Array, nonce: Uint8Array): Uint8Array;
  readonly keys: KeySlots;
  readonly batch: AeadBatch;
}

const EMPTY = new Uint8Array(0);

// Results are copied into Buffers from Node's pool: V8 allocates a fresh typed array over 64
// bytes outside its heap, which costs more than sealing a small message (measured 10×).
function copyOut(source: Uint8Array, length: number): Uint8Array {
  const result = Buffer.allocUnsafe(length);
  result.set(source.subarray(0, length));
  return result;
}

type OneShot = "aeadSeal" | "aeadOpen" | "xaeadSeal" | "xaeadOpen";

// A CryptoCore on its own instance of the module (see dataplane.ts for one instance shared by
// crypto, transport and routing table).
export function createCryptoCore(compiled: CompiledCryptoWasm): CryptoCore {
  return bindCryptoCore(instantiateCore(compiled.module), compiled.variant);
}

export function bindCryptoCore(core: CoreInstance, variant: CryptoWasmVariant): CryptoCore {
  const { functions, views } = core;

  const fail = (operation: string, status: number): never => {
    throw new CryptoModuleError(`${operation} failed: ${coreStatusName(status)}`);
  };

  // Loads key, nonce, AAD and message into the one-shot buffers, runs `operation`, wipes the
  // key, and returns the status with the output length it implies.
  const runOneShot = (
    operation: OneShot,
    key: Uint8Array,
    nonce: Uint8Array,
    nonceBytes: number,
    message: Uint8Array,
    aad: Uint8Array,
  ): number => {
    requireByteLength("key", key, KEY_BYTES);
    requireByteLength("nonce", nonce, nonceBytes);
    requireMaxLength("aad", aad, MAX_AAD_BYTES);
    views.oneShotKey.set(key);
    views.oneShotNonce.set(nonce);
    views.oneShotAad.set(aad);
    views.oneShotData.set(message);
    const status = (functions[operation] as CoreFunctions[OneShot])(aad.length, message.length);
    views.oneShotKey.fill(0);
    return status;
  };

  // Copies `length` result bytes out and wipes what the call left in the data buffer.
  const takeData = (length: number, used: number): Uint8Array => {
    const result = copyOut(views.oneShotData, length);
    views.oneShotData.fill(0, 0, used);
    return result;
  };

  const seal = (operation: "aeadSeal" | "xaeadSeal", nonceBytes: number) =>
    (key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array = EMPTY): Uint8Array => {
      requireMaxLength("plaintext", plaintext, MAX_MESSAGE_BYTES);
      const status = runOneShot(operation, key, nonce, nonceBytes, plaintext, aad);
      if (status !== STATUS_OK) fail(operation, status);
      return takeData(plaintext.length + TAG_BYTES, plaintext.length + TAG_BYTES);
    };

  const open = (operation: "aeadOpen" | "xaeadOpen", nonceBytes: number) =>
    (key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array = EMPTY): Uint8Array | null => {
      requireMaxLength("sealed", sealed, MAX_MESSAGE_BYTES + TAG_BYTES);
      if (sealed.length < TAG_BYTES) {
        requireByteLength("key", key, KEY_BYTES);
        requireByteLength("nonce", nonce, nonceBytes);
        return null;
      }
      const status = runOneShot(operation, key, nonce, nonceBytes, sealed, aad);
      if (status === STATUS_AUTH_FAILED) {
        views.oneShotData.fill(0, 0, sealed.length);
        return null;
      }
      if (status !== STATUS_OK) fail(operation, status);
      return takeData(sealed.length - TAG_BYTES, sealed.length);
    };

  return {
    variant,
    seal: seal("aeadSeal", NONCE_BYTES),
    open: open("aeadOpen", NONCE_BYTES),
    xseal: seal("xaeadSeal", XNONCE_BYTES),
    xopen: open("xaeadOpen", XNONCE_BYTES),
    chacha20(key, nonce, counter, input) {
      requireByteLength("key", key, KEY_BYTES);
      requireByteLength("nonce", nonce, NONCE_BYTES);
      requireIntegerIn("counter", counter, 0, U32_MAX);
      requireMaxLength("input", input, MAX_MESSAGE_BYTES + TAG_BYTES);
      views.oneShotKey.set(key);
      views.oneShotNonce.set(nonce);
      views.oneShotData.set(input);
      const status = functions.chacha20(counter >>> 0, input.length);
      views.oneShotKey.fill(0);
      if (status !== STATUS_OK) fail("chacha20", status);
      return takeData(input.length, input.length);
    },
    poly1305(oneTimeKey, message) {
      requireByteLength("oneTimeKey", oneTimeKey, KEY_BYTES);
      requireMaxLength("message", message, MAX_MESSAGE_BYTES + TAG_BYTES);
      views.oneShotKey.set(oneTimeKey);
      views.oneShotData.set(message);
      const status = functions.poly1305(message.length);
      views.oneShotKey.fill(0);
      views.oneShotData.fill(0, 0, message.length);
      if (status !== STATUS_OK) fail("poly1305", status);
      return copyOut(views.oneShotOut, TAG_BYTES);
    },
    hchacha20(key, nonce) {
      requireByteLength("key", key, KEY_BYTES);
      requireByteLength("nonce", nonce, HCHACHA_NONCE_BYTES);
      views.oneShotKey.set(key);
      views.oneShotNonce.set(nonce);
      const status = functions.hchacha20();
      views.oneShotKey.fill(0);
      if (status !== STATUS_OK) fail("hchacha20", status);
      const subkey = copyOut(views.oneShotOut, KEY_BYTES);
      views.oneShotOut.fill(0);
      return subkey;
    },
    keys: createKeySlots(core),
    batch: createAeadBatch(core),
  };
}
