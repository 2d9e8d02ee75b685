// X25519 (RFC 7748 §5), the DH function of the WireGuard handshake (whitepaper §5.4): two
// implementations behind one interface. node:crypto (OpenSSL) is the fast one, on the handshake
// hot path; @noble/curves is the portable reference and the differential-test oracle.
//
// Buffer ownership: every function takes 32-byte arrays it only reads (never keeps a reference
// to them) and returns a fresh 32-byte Uint8Array that owns its memory, so the caller may zero it.
//
// Secret hygiene: a private key never becomes a JS string. Static keys (32 bytes the caller
// owns and wipes) are imported into OpenSSL from a DER buffer that is zeroed right after; the
// handshake's ephemeral keys are generated inside OpenSSL and never enter the JS heap at all.
// Copies out of our reach: OpenSSL's own copy in each KeyObject (cleansed when the object is
// garbage-collected: OpenSSL frees X25519 private keys with OPENSSL_secure_clear_free), and, in
// the portable implementation, the BigInts @noble/curves makes of a scalar (immutable, never
// wiped, collected as garbage).

import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type JsonWebKey, type KeyObject } from "node:crypto";
import { pow } from "@noble/curves/abstract/modular.js";
import { montgomery } from "@noble/curves/abstract/montgomery.js";
import type { RandomSource } from "./random-source.js";

export const X25519_KEY_BYTES = 32;

// A handshake's ephemeral key pair. The private half stays inside the implementation: it is
// used through sharedSecret() and destroyed by forget().
export interface EphemeralKeyPair {
  readonly publicKey: Uint8Array;
}

export interface X25519 {
  readonly name: "node" | "noble";
  // The public key of `privateKey` (RFC 7748 §6.1: X25519(k, 9)); the scalar is clamped (§5).
  publicKey(privateKey: Uint8Array): Uint8Array;
  // X25519(privateKey, publicKey), or null when the result is all zeros: a low-order public key,
  // which RFC 7748 §6.1 allows and the whitepaper (§5.4, "DH") requires us to reject.
  sharedSecret(privateKey: Uint8Array | EphemeralKeyPair, publicKey: Uint8Array): Uint8Array | null;
  // A fresh ephemeral key pair (whitepaper §5.4.2 DH-GENERATE). node:crypto draws it from
  // OpenSSL's CSPRNG; the portable implementation clamps 32 bytes of `random`, so tests with a
  // seeded source get the same ephemerals every run.
  generateEphemeral(random: RandomSource): EphemeralKeyPair;
  // Destroys an ephemeral key pair whose handshake is over, or drops the cached copy of a
  // static key, so neither outlives its use (forward secrecy, whitepaper §5.4.2).
  forget(key: Uint8Array | EphemeralKeyPair): void;
}

// RFC 7748 §5 "decodeScalar25519", applied to random bytes the way `wg genkey` does, so a stored
// private key is already a valid scalar. Returns a clamped copy; `random32` is left untouched.
export function clampPrivateKey(random32: Uint8Array): Uint8Array {
  requireKeyBytes("random32", random32);
  return clampInPlace(random32.slice());
}

function clampInPlace(scalar: Uint8Array): Uint8Array {
  scalar[0] = scalar[0]! & 248;
  scalar[31] = (scalar[31]! & 127) | 64;
  return scalar;
}

// Static private keys stay imported (a device's, a coordinator's, a control client's): importing
// costs ~12 scalar multiplications (OpenSSL 3's DER decoder), so it happens once per key. Evicted
// or forgotten entries have our copy of the bytes zeroed.
const PRIVATE_KEY_CACHE_ENTRIES = 4;

// PKCS#8 DER of an X25519 private key (RFC 8410 §7): this 16-byte prefix, then the 32 bytes.
const PKCS8_X25519_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]);

// What OpenSSL 3 reports when X25519 yields all zeros (its derive step refuses that output).
const OPENSSL_ALL_ZERO_CODE = "ERR_OSSL_FAILED_DURING_DERIVATION";

interface CachedPrivateKey {
  readonly bytes: Uint8Array; // our own copy, zeroed on eviction
  readonly key: KeyObject;
}

// An ephemeral held by OpenSSL: `key` is dropped on forget() (OpenSSL cleanses it when freed).
class OpenSslEphemeral implements EphemeralKeyPair {
  constructor(
    readonly publicKey: Uint8Array,
    public key: KeyObject | null,
  ) {}
}

// Node encodes a generated public key as JWK on request (publicKeyEncoding) and
// leaves the private one a KeyObject; @types/node has no overload for that pair of encodings.
const generateX25519WithJwkPublic = generateKeyPairSync as unknown as (
  type: "x25519",
  options: { publicKeyEncoding: { format: "jwk" } },
) => { publicKey: JsonWebKey; privateKey: KeyObject };

// Public keys travel as JWK ("x", base64url): OpenSSL's DER decoder and encoder cost far more
// (measured here: 140,000 JWK public imports per second against 10,000 DER), and a public key
// may be a string.
//
// Imported public keys are kept too: a handshake uses the other side's ephemeral key in two
// DHs, and a peer's static key comes back in every handshake with it, so of the six public
// keys a complete handshake imports (~6 µs each) four are already there. They are looked up by
// their first four bytes as a number and confirmed by comparing all 32: the base64url string a
// lookup used to build cost ~1 µs a DH in a handshake. Two keys that share the first four bytes
// take turns in one entry. First in, first out: a flood of initiations with fresh ephemerals
// (chosen prefixes or not) can only push entries out, and each costs at most one import
// again. Public keys are not secret: nothing to wipe, and comparing them may stop early.
const PUBLIC_KEY_CACHE_ENTRIES = 256;

interface CachedPublicKey {
  readonly bytes: Uint8Array; // our own copy: callers pass views into datagrams
  readonly key: KeyObject;
}

export function createNodeX25519(): X25519 {
  const cache: CachedPrivateKey[] = []; // most recently used first
  const publicKeys = new Map<number, CachedPublicKey>(); // by publicKeyTag; insertion order: oldest first

  function importPublicKey(publicKey: Uint8Array): KeyObject {
    const tag = publicKeyTag(publicKey);
    const cached = publicKeys.get(tag);
    if (cached !== undefined && samePublicKey(cached.bytes, publicKey)) return cached.key;
    const key = createPublicKey({ key: { kty: "OKP", crv: "X25519", x: base64url(publicKey) }, format: "jwk" });
    if (cached !== undefined) publicKeys.delete(tag);
    else if (publicKeys.size >= PUBLIC_KEY_CACHE_ENTRIES) publicKeys.delete(publicKeys.keys().next().value!);
    publicKeys.set(tag, { bytes: publicKey.slice(), key });
    return key;
  }

  function importPrivateKey(privateKey: Uint8Array): KeyObject {
    // An index loop: entries() would allocate an iterator and a pair per entry, and this runs
    // for every DH with a static key.
    for (let index = 0; index < cache.length; index++) {
      const entry = cache[index]!;
      if (!equalKeys(entry.bytes, privateKey)) continue;
      if (index > 0) cache.unshift(...cache.splice(index, 1));
      return entry.key;
    }
    // Buffer.alloc, not a pooled Buffer: the one copy of the key we make is ours to zero.
    const der = Buffer.alloc(PKCS8_X25519_PREFIX.length + X25519_KEY_BYTES);
    der.set(PKCS8_X25519_PREFIX);
    der.set(privateKey, PKCS8_X25519_PREFIX.length);
    let key: KeyObject;
    try {
      key = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
    } finally {
      der.fill(0);
    }
    cache.unshift({ bytes: privateKey.slice(), key });
    if (cache.length > PRIVATE_KEY_CACHE_ENTRIES) cache.pop()?.bytes.fill(0);
    return key;
  }

  const exportPublic = (key: KeyObject): Uint8Array => publicKeyFromJwk(key.export({ format: "jwk" }));

  const privateKeyObject = (privateKey: Uint8Array | EphemeralKeyPair): KeyObject => {
    if (privateKey instanceof Uint8Array) {
      requireKeyBytes("privateKey", privateKey);
      return importPrivateKey(privateKey);
    }
    if (!(privateKey instanceof OpenSslEphemeral) || privateKey.key === null) throw new TypeError("an ephemeral key of another implementation, or one already forgotten");
    return privateKey.key;
  };

  return {
    name: "node",
    publicKey(privateKey) {
      requireKeyBytes("privateKey", privateKey);
      return exportPublic(createPublicKey(importPrivateKey(privateKey)));
    },
    sharedSecret(privateKey, publicKey) {
      const ours = privateKeyObject(privateKey);
      requireKeyBytes("publicKey", publicKey);
      const peer = importPublicKey(publicKey);
      try {
        const secret = diffieHellman({ privateKey: ours, publicKey: peer });
        // Node allocates each result on its own; a view keeps it a plain Uint8Array without a copy.
        return new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength);
      } catch (error) {
        if (error instanceof Error && "code" in error && error.code === OPENSSL_ALL_ZERO_CODE) return null;
        throw error;
      }
    },
    generateEphemeral() {
      // The public half is encoded by the key generation job itself, not exported from the
      // returned KeyObject afterwards: Node 20 can deadlock on that export. The export holds
      // the key's mutex while it allocates the "x" string; if that allocation collects the
      // finished (unreachable) job, the job's destructor takes the same mutex. Seen twice in
      // bench:handshake (main thread in futex wait under ExportJWKEdKey → ~KeyGenJob).
      const pair = generateX25519WithJwkPublic("x25519", { publicKeyEncoding: { format: "jwk" } });
      return new OpenSslEphemeral(publicKeyFromJwk(pair.publicKey), pair.privateKey);
    },
    forget(key) {
      if (key instanceof OpenSslEphemeral) {
        key.key = null;
        return;
      }
      if (!(key instanceof Uint8Array)) return;
      const index = cache.findIndex((entry) => equalKeys(entry.bytes, key));
      if (index !== -1) cache.splice(index, 1)[0]!.bytes.fill(0);
    },
  };
}

// The portable X25519: @noble/curves' RFC 7748 ladder over p = 2^255 − 19, built here from its
// Montgomery module alone. Its ed25519 module (which exports the same function) also builds the
// Edwards curve, FROST and OPRF and precomputes base-point tables when imported: ~8 MB more
// resident in every daemon, which runs node:crypto's and would never call it.
const CURVE25519_P = 2n ** 255n - 19n;
const nobleX25519 = montgomery({
  P: CURVE25519_P,
  type: "x25519",
  powPminus2: (x) => pow(x, CURVE25519_P - 2n, CURVE25519_P), // the inverse, by Fermat
  adjustScalarBytes: clampInPlace,
});

// What @noble/curves throws for a low-order public key (it checks the u-coordinate before the
// ladder, RFC 7748 §6.1, and the all-zero output after it).
const NOBLE_LOW_ORDER_MESSAGE = "invalid private or public key received";

// An ephemeral whose scalar is in our bytes (zeroed on forget()).
class ScalarEphemeral implements EphemeralKeyPair {
  constructor(
    readonly publicKey: Uint8Array,
    readonly privateKey: Uint8Array,
  ) {}
}

export function createNobleX25519(): X25519 {
  const scalarOf = (privateKey: Uint8Array | EphemeralKeyPair): Uint8Array => {
    if (privateKey instanceof ScalarEphemeral) return privateKey.privateKey;
    if (!(privateKey instanceof Uint8Array)) throw new TypeError("an ephemeral key of another implementation");
    requireKeyBytes("privateKey", privateKey);
    return privateKey;
  };
  return {
    name: "noble",
    publicKey(privateKey) {
      requireKeyBytes("privateKey", privateKey);
      return nobleX25519.getPublicKey(privateKey);
    },
    sharedSecret(privateKey, publicKey) {
      const scalar = scalarOf(privateKey);
      requireKeyBytes("publicKey", publicKey);
      try {
        return nobleX25519.getSharedSecret(scalar, publicKey);
      } catch (error) {
        if (error instanceof Error && error.message === NOBLE_LOW_ORDER_MESSAGE) return null;
        throw error;
      }
    },
    generateEphemeral(random) {
      const raw = random.bytes(X25519_KEY_BYTES);
      const privateKey = clampPrivateKey(raw);
      raw.fill(0);
      return new ScalarEphemeral(nobleX25519.getPublicKey(privateKey), privateKey);
    },
    forget(key) {
      // Static keys are not kept between calls; an ephemeral's scalar is zeroed.
      if (key instanceof ScalarEphemeral) key.privateKey.fill(0);
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

function publicKeyFromJwk({ x }: JsonWebKey): Uint8Array {
  if (x === undefined) throw new Error("node:crypto exported an X25519 public key without \"x\"");
  const publicKey = new Uint8Array(X25519_KEY_BYTES);
  Buffer.from(publicKey.buffer).write(x, "base64url");
  return publicKey;
}

// The first four bytes of a public key as one number: the cache's index, not an identity.
function publicKeyTag(publicKey: Uint8Array): number {
  return publicKey[0]! | (publicKey[1]! << 8) | (publicKey[2]! << 16) | (publicKey[3]! << 24);
}

function samePublicKey(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < X25519_KEY_BYTES; i++) if (a[i] !== b[i]) return false;
  return true;
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
