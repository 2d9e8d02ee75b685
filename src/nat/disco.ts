// Disco: the sealed ping / pong / callMeMaybe packets two nodes use to find a path to each
// other (src/nat/README.md, "Disco"). This file is the wire format and its sealing; which
// peer's key to use is disco-keyring.ts, what to do with a message is path-state.ts.
//
// Layout (all integers big-endian):
//
//   packet    = magic 6d 67 d1 5c (4) ‖ version 0x01 (1) ‖ sender node key (32) ‖ nonce (24)
//             ‖ XChaCha20-Poly1305(discoKey, nonce, plaintext, aad = bytes 0..37)  (+16 tag)
//   plaintext = type (1) ‖ body
//     0x01 ping         txid (12)
//     0x02 pong         txid (12) ‖ observed source endpoint (19)
//     0x03 callMeMaybe  count (1) ‖ count × endpoint (19), count ≤ 16
//   endpoint  = family (1: 4 or 6) ‖ port (2) ‖ address (16; IPv4 as ::ffff:a.b.c.d, RFC 4291
//               §2.5.5.2, so every endpoint is the same size)
//
// The sender key sits in the AAD, so a packet cannot be re-labelled as another node's, and one
// reflected back to its sender names the receiver itself (not a peer: dropped). The key is the
// same in both directions (DH is symmetric); nonces are 24 random bytes, for which XChaCha's
// collision bound is negligible at any packet rate disco can reach.
//
// Decoding is strict: a known type with a body of any other length is malformed. A new field
// or type means a new version byte, not a longer body.
//
// Buffer ownership: inputs are only read; every result owns its bytes.

import { DISCO_MAGIC } from "./demux.js";
import type { CryptoCore } from "../dataplane/crypto-core.js";
import { hmac } from "../wireguard/kdf.js";
import type { X25519 } from "../wireguard/x25519.js";
import { formatIpAddress, parseIpAddress } from "../net/ip-prefix.js";
import type { Endpoint } from "../net/endpoint.js";

export const DISCO_VERSION = 0x01;
export const DISCO_KEY_BYTES = 32;
export const DISCO_NONCE_BYTES = 24;
export const DISCO_TXID_BYTES = 12;
export const DISCO_TAG_BYTES = 16;
// magic (4) ‖ version (1) ‖ sender (32): the AAD.
export const DISCO_AAD_BYTES = 37;
// The AAD ‖ nonce (24).
export const DISCO_HEADER_BYTES = DISCO_AAD_BYTES + DISCO_NONCE_BYTES;
export const DISCO_ENDPOINT_BYTES = 19;
// A callMeMaybe carries at most this many endpoints (also the cap of candidates per source).
export const DISCO_MAX_ENDPOINTS = 16;

const TYPE_PING = 0x01;
const TYPE_PONG = 0x02;
const TYPE_CALL_ME_MAYBE = 0x03;
const SENDER_OFFSET = 5;
const NONCE_OFFSET = DISCO_AAD_BYTES;
const FAMILY_IPV4 = 4;
const FAMILY_IPV6 = 6;
// The largest plaintext: type ‖ count ‖ 16 endpoints.
const MAX_PLAINTEXT_BYTES = 2 + DISCO_MAX_ENDPOINTS * DISCO_ENDPOINT_BYTES;
export const DISCO_MAX_PACKET_BYTES = DISCO_HEADER_BYTES + MAX_PLAINTEXT_BYTES + DISCO_TAG_BYTES;

export type DiscoMessage =
  | { readonly type: "ping"; readonly txid: Uint8Array }
  | { readonly type: "pong"; readonly txid: Uint8Array; readonly observed: Endpoint }
  | { readonly type: "callMeMaybe"; readonly endpoints: readonly Endpoint[] };

// discoKey = HKDF-BLAKE2s(IKM = DH(own static, peer static), salt = none, info = this label),
// 32 bytes (RFC 5869 with HMAC-BLAKE2s; an absent salt is 32 zero bytes, §2.2). The label keeps
// the key apart from every other use of the same static-static DH (the WireGuard handshake
// mixes it under its own chaining key).
export const DISCO_KEY_LABEL = new TextEncoder().encode("meshgate disco v1");
const ZERO_SALT = new Uint8Array(32);

// The disco key of the pair (own, peer), or null when the peer's key is a low-order point (the
// DH is all zeros). The DH output and the HKDF's PRK are wiped here; the caller owns the key.
export function deriveDiscoKey(x25519: X25519, ownPrivateKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array | null {
  const shared = x25519.sharedSecret(ownPrivateKey, peerPublicKey);
  if (shared === null) return null;
  const prk = hmac(ZERO_SALT, shared);
  shared.fill(0);
  const info = new Uint8Array(DISCO_KEY_LABEL.length + 1);
  info.set(DISCO_KEY_LABEL);
  info[DISCO_KEY_LABEL.length] = 0x01; // T(1) = HMAC(PRK, T(0) ‖ info ‖ 0x01), T(0) empty
  const key = hmac(prk, info);
  prk.fill(0);
  return key;
}

// The sender's node key in a packet's header (a copy), or null if this cannot be a disco packet
// of our version. Says nothing about authenticity.
export function discoSender(packet: Uint8Array): Uint8Array | null {
  if (packet.length < DISCO_HEADER_BYTES + 1 + DISCO_TAG_BYTES || packet.length > DISCO_MAX_PACKET_BYTES) return null;
  for (let i = 0; i < DISCO_MAGIC.length; i++) if (packet[i] !== DISCO_MAGIC[i]) return null;
  if (packet[4] !== DISCO_VERSION) return null;
  return packet.slice(SENDER_OFFSET, SENDER_OFFSET + 32);
}

// Seals `message` from `sender` (32 bytes) under `key` with `nonce` (24 random bytes).
export function sealDisco(crypto: CryptoCore, key: Uint8Array, sender: Uint8Array, nonce: Uint8Array, message: DiscoMessage): Uint8Array {
  if (sender.length !== 32 || nonce.length !== DISCO_NONCE_BYTES) throw new RangeError("a disco sender is 32 bytes and a nonce 24");
  const header = new Uint8Array(DISCO_HEADER_BYTES);
  header.set(DISCO_MAGIC, 0);
  header[4] = DISCO_VERSION;
  header.set(sender, SENDER_OFFSET);
  header.set(nonce, NONCE_OFFSET);
  const sealed = crypto.xseal(key, nonce, encodeDiscoMessage(message), header.subarray(0, DISCO_AAD_BYTES));
  const packet = new Uint8Array(DISCO_HEADER_BYTES + sealed.length);
  packet.set(header, 0);
  packet.set(sealed, DISCO_HEADER_BYTES);
  return packet;
}

// The plaintext of `packet` if it is a disco packet of our version, authentic under `key`;
// otherwise null. Never throws for any bytes (the length is checked before the crypto core
// sees them).
export function unsealDisco(crypto: CryptoCore, key: Uint8Array, packet: Uint8Array): Uint8Array | null {
  if (discoSender(packet) === null) return null;
  const plaintext = crypto.xopen(key, packet.subarray(NONCE_OFFSET, DISCO_HEADER_BYTES), packet.subarray(DISCO_HEADER_BYTES), packet.subarray(0, DISCO_AAD_BYTES));
  // The core returns a pooled Buffer, whose slice() is a view: a plain copy keeps the decoded
  // fields (txids) owned, and comparable with other byte arrays.
  return plaintext === null ? null : Uint8Array.from(plaintext);
}

// The message in `packet` if it is authentic under `key` and well formed; otherwise null.
export function openDisco(crypto: CryptoCore, key: Uint8Array, packet: Uint8Array): DiscoMessage | null {
  const plaintext = unsealDisco(crypto, key, packet);
  return plaintext === null ? null : decodeDiscoMessage(plaintext);
}

export function encodeDiscoMessage(message: DiscoMessage): Uint8Array {
  switch (message.type) {
    case "ping": {
      requireTxid(message.txid);
      const out = new Uint8Array(1 + DISCO_TXID_BYTES);
      out[0] = TYPE_PING;
      out.set(message.txid, 1);
      return out;
    }
    case "pong": {
      requireTxid(message.txid);
      const out = new Uint8Array(1 + DISCO_TXID_BYTES + DISCO_ENDPOINT_BYTES);
      out[0] = TYPE_PONG;
      out.set(message.txid, 1);
      writeEndpoint(out, 1 + DISCO_TXID_BYTES, message.observed);
      return out;
    }
    case "callMeMaybe": {
      if (message.endpoints.length > DISCO_MAX_ENDPOINTS) throw new RangeError(`a callMeMaybe carries at most ${DISCO_MAX_ENDPOINTS} endpoints`);
      const out = new Uint8Array(2 + message.endpoints.length * DISCO_ENDPOINT_BYTES);
      out[0] = TYPE_CALL_ME_MAYBE;
      out[1] = message.endpoints.length;
      message.endpoints.forEach((endpoint, i) => writeEndpoint(out, 2 + i * DISCO_ENDPOINT_BYTES, endpoint));
      return out;
    }
  }
}

// The message in a plaintext, or null when malformed (unknown type, wrong length, bad endpoint).
export function decodeDiscoMessage(plaintext: Uint8Array): DiscoMessage | null {
  const type = plaintext[0];
  if (type === TYPE_PING && plaintext.length === 1 + DISCO_TXID_BYTES) {
    return { type: "ping", txid: plaintext.slice(1) };
  }
  if (type === TYPE_PONG && plaintext.length === 1 + DISCO_TXID_BYTES + DISCO_ENDPOINT_BYTES) {
    const observed = readEndpoint(plaintext, 1 + DISCO_TXID_BYTES);
    return observed === null ? null : { type: "pong", txid: plaintext.slice(1, 1 + DISCO_TXID_BYTES), observed };
  }
  if (type === TYPE_CALL_ME_MAYBE && plaintext.length >= 2) {
    const count = plaintext[1]!;
    if (count > DISCO_MAX_ENDPOINTS || plaintext.length !== 2 + count * DISCO_ENDPOINT_BYTES) return null;
    const endpoints: Endpoint[] = [];
    for (let i = 0; i < count; i++) {
      const endpoint = readEndpoint(plaintext, 2 + i * DISCO_ENDPOINT_BYTES);
      if (endpoint === null) return null;
      endpoints.push(endpoint);
    }
    return { type: "callMeMaybe", endpoints };
  }
  return null;
}

// An endpoint's host as an IP literal in canonical text (IPv4-mapped IPv6 as IPv4), or null
// when it is a name or not an address: only IP endpoints can be pinged, encoded or compared.
export function canonicalEndpoint(endpoint: Endpoint): Endpoint | null {
  const address = parseIpAddress(endpoint.host);
  if (address === null || !Number.isInteger(endpoint.port) || endpoint.port < 1 || endpoint.port > 65535) return null;
  const bytes = address.family === 6 && isV4Mapped(address.bytes, 0) ? address.bytes.slice(12) : address.bytes;
  return { host: formatIpAddress({ family: bytes.length === 4 ? 4 : 6, bytes }), port: endpoint.port };
}

function requireTxid(txid: Uint8Array): void {
  if (txid.length !== DISCO_TXID_BYTES) throw new RangeError(`a disco txid is ${DISCO_TXID_BYTES} bytes`);
}

const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function isV4Mapped(bytes: Uint8Array, offset: number): boolean {
  return V4_MAPPED_PREFIX.every((value, i) => bytes[offset + i] === value);
}

function writeEndpoint(out: Uint8Array, offset: number, endpoint: Endpoint): void {
  const canonical = canonicalEndpoint(endpoint);
  if (canonical === null) throw new RangeError(`disco carries IP endpoints only, not "${endpoint.host}:${endpoint.port}"`);
  const address = parseIpAddress(canonical.host)!;
  out[offset] = address.family === 4 ? FAMILY_IPV4 : FAMILY_IPV6;
  out[offset + 1] = canonical.port >>> 8;
  out[offset + 2] = canonical.port & 0xff;
  if (address.family === 4) {
    out.set(V4_MAPPED_PREFIX, offset + 3);
    out.set(address.bytes, offset + 15);
  } else {
    out.set(address.bytes, offset + 3);
  }
}

// family 4 must carry a mapped address and family 6 must not: one spelling per endpoint.
function readEndpoint(bytes: Uint8Array, offset: number): Endpoint | null {
  const family = bytes[offset];
  const port = (bytes[offset + 1]! << 8) | bytes[offset + 2]!;
  if (port === 0) return null;
  const mapped = isV4Mapped(bytes, offset + 3);
  if (family === FAMILY_IPV4 && mapped) {
    return { host: formatIpAddress({ family: 4, bytes: bytes.slice(offset + 15, offset + 19) }), port };
  }
  if (family === FAMILY_IPV6 && !mapped) {
    return { host: formatIpAddress({ family: 6, bytes: bytes.slice(offset + 3, offset + 19) }), port };
  }
  return null;
}
