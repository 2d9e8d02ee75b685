// X25519 (RFC 7748 §5), the DH function of the WireGuard handshake (whitepaper §5.4): two
// implementations behind one interface. node:crypto (OpenSSL) is the fast one, on the handshake
// hot path; @noble/curves is the portable reference and the differential-test oracle.
//
// Buffer ownership: every function takes 32-byte arrays it only reads (never keeps a reference
// to them) and returns a fresh 32-byte Uint8Array that owns its memory, so the caller may zero it.

import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from "node:crypto";
import { x25519 as nobleX25519 } from "@noble/curves/ed25519.js";

export const X25519_KEY_BYTES = 32;

export interface X25519 {
  readonly name: "node" | "noble";
  // The public key of `privateKey` (RFC 7748 §6.1: X25519(k, 9)); the scalar is clamped (§5).
  publicKey(privateKey: Uint8Array): Uint8Array;
  // X25519(privateKey, publicKey), or null when the result is all zeros: a low-order public key,
  // which RFC 7748 §6.1 allows and the whitepaper (§5.4, "DH") requires us to reject.
  sharedSecret(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null;
  // Drops any copy of `privateKey` the implementation keeps (an ephemeral key whose handshake
  // is over), so it does not outlive its use in a cache.
  forget(privateKey: Uint8Array): void;
}

// RFC 7748 §5 "decodeScalar25519", applied to random bytes the way `wg genkey` does, so a stored
// private key is already a valid scalar. Returns a clamped copy; `random32` is left untouched.
export function clampPrivateKey(random32: Uint8Array): Uint8Array {
  requireKeyBytes("random32", random32);
  const privateKey = random32.slice();
  privateKey[0] = privateKey[0]! & 248;
  privateKey[31] = (privateKey[31]! & 127) | 64;
  return privateKey;
}

// Up to four private keys stay imported: the static key, plus the handshake's ephemeral, which is
// used by publicKey() and then by two sharedSecret() calls (whitepaper §5.4.2, §5.4.3). The
// protocol core calls forget() when a handshake ends; evicted or forgotten copies are zeroed,
// and OpenSSL clears the KeyObject's copy when it is garbage-collected.
const PRIVATE_KEY_CACHE_ENTRIES = 4;

// Node validates that a private JWK has an "x" member but imports only "d" and derives the public
// key itself, so a placeholder is enough here (createFastestX25519's probe would catch a change).
const PLACEHOLDER_JWK_X = Buffer.alloc(X25519_KEY_BYTES).toString("base64url");

// What OpenSSL 3 reports when X25519 yields all zeros (its derive step refuses that output).
const OPENSSL_ALL_ZERO_CODE = "ERR_OSSL_FAILED_DURING_DERIVATION";

interface CachedPrivateKey {
  readonly bytes: Uint8Array; // our own copy, zeroed on eviction
  readonly key: KeyObject;
}

// Keys are imported as JWK, not DER: OpenSSL 3's DER decoder costs ~10x a scalar multiplication
// (measured: 2,100 private / 10,000 public imports per second, vs 23,000 / 140,000 with JWK).
export function createNodeX25519(): X25519 {
  const cache: CachedPrivateKey[] = []; // most recently used first

  function importPrivateKey(privateKey: Uint8Array): KeyObject {
    for (const [index, entry] of cache.entries()) {
      if (!equalKeys(entry.bytes, privateKey)) continue;
      if (index > 0) cache.unshift(...cache.splice(index, 1));
      return entry.key;
    }
    const key = createPrivateKey({
      key: { kty: "OKP", crv: "X25519", d: base64url(privateKey), x: PLACEHOLDER_JWK_X },
      format: "jwk",
    });
    cache.unshift({ bytes: privateKey.slice(), key });
    if (cache.length > PRIVATE_KEY_CACHE_ENTRIES) cache.pop()?.bytes.fill(0);
    return key;
  }

  return {
    name: "node",
    publicKey(privateKey) {
      requireKeyBytes("privateKey", privateKey);
      // JWK again: exporting DER goes through OpenSSL's encoder, 35x slower than this.
      const { x } = createPublicKey(importPrivateKey(privateKey)).export({ format: "jwk" });
      if (x === undefined) throw new Error("node:crypto exported an X25519 public key without \"x\"");
      const publicKey = new Uint8Array(X25519_KEY_BYTES);
      Buffer.from(publicKey.buffer).write(x, "base64url");
      return publicKey;
    },
    sharedSecret(privateKey, publicKey) {
      requireKeyBytes("privateKey", privateKey);
      requireKeyBytes("publicKey", publicKey);
      const peer = createPublicKey({
        key: { kty: "OKP", crv: "X25519", x: base64url(publicKey) },
        format: "jwk",
      });
      try {
        const secret = diffieHellman({ privateKey: importPrivateKey(privateKey), publicKey: peer });
        // Node allocates each result on its own; a view keeps it a plain Uint8Array without a copy.
        return new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength);
      } catch (error) {
        if (error instanceof Error && "code" in error && error.code === OPENSSL_ALL_ZERO_CODE) return null;
        throw error;
      }
    },
    forget(privateKey) {
      const index = cache.findIndex((entry) => equalKeys(entry.bytes, privateKey));
      if (index !== -1) cache.splice(index, 1)[0]!.bytes.fill(0);
    },
  };
}

// What @noble/curves throws for a low-order public key (it checks the u-coordinate before the
// ladder, RFC 7748 §6.1, and the all-zero output after it).
const NOBLE_LOW_ORDER_MESSAGE = "invalid private or public key received";

export function createNobleX25519(): X25519 {
  return {
    name: "noble",
    publicKey(privateKey) {
      requireKeyBytes("privateKey", privateKey);
      return nobleX25519.getPublicKey(privateKey);
    },
    sharedSecret(privateKey, publicKey) {
      requireKeyBytes("privateKey", privateKey);
      requireKeyBytes("publicKey", publicKey);
      try {
        return nobleX25519.getSharedSecret(privateKey, publicKey);
      } catch (error) {
        if (error instanceof Error && error.message === NOBLE_LOW_ORDER_MESSAGE) return null;
        throw error;
      }
    },
    forget() {
      // Keeps nothing between calls.
    },
  };
}

// node:crypto when this runtime's X25519 computes RFC 7748 §6.1 correctly and reports an all-zero
// result the way we map to null; otherwise @noble/curves (≈50x slower, same results).
export function createFastestX25519(): X25519 {
  try {
    const node = createNodeX25519();
    if (passesProbe(node)) return node;
  } catch {
    // This runtime's node:crypto has no X25519 (or no JWK import): the portable one it is.
  }
  return createNobleX25519();
}

// RFC 7748 §6.1: Alice's key pair, Bob's public key, their shared secret.
const PROBE_ALICE_PRIVATE = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
const PROBE_ALICE_PUBLIC = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
const PROBE_BOB_PUBLIC = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
const PROBE_SHARED = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

function passesProbe(x25519: X25519): boolean {
  const alice = Buffer.from(PROBE_ALICE_PRIVATE, "hex");
  const shared = x25519.sharedSecret(alice, Buffer.from(PROBE_BOB_PUBLIC, "hex"));
  return (
    Buffer.from(x25519.publicKey(alice)).toString("hex") === PROBE_ALICE_PUBLIC &&
    shared !== null &&
    Buffer.from(shared).toString("hex") === PROBE_SHARED &&
    x25519.sharedSecret(alice, new Uint8Array(X25519_KEY_BYTES)) === null
  );
}

function requireKeyBytes(argument: string, bytes: Uint8Array): void {
  if (bytes.length !== X25519_KEY_BYTES) {
    throw new RangeError(`X25519 ${argument} must be ${X25519_KEY_BYTES} bytes, got ${bytes.length}`);
  }
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}

// Compares every byte whatever the first difference, so the cache lookup time says nothing about
// how much of a private key matches another one.
function equalKeys(a: Uint8Array, b: Uint8Array): boolean {
  let difference = 0;
  for (let i = 0; i < X25519_KEY_BYTES; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}
