// Proof that a relay client holds its node key (src/nat/README.md, "Relays"):
//
//   key   = HKDF-BLAKE2s(DH(node key, relay key), label)     32 bytes, the same at both ends
//         = KDF1(label, DH) of the WireGuard whitepaper §5.4: HKDF (RFC 5869) with HMAC-BLAKE2s,
//           the label's bytes as the salt, the DH result as the input keying material, one
//           output block (empty info)
//   proof = MAC(key, message)                                 16 bytes, keyed BLAKE2s
//
//   TCP relay:       label "meshgate relay v1",     message = challenge (32) ‖ node key (32)
//   UDP peer relay:  label "meshgate udp relay v1", message = cookie (16)
//
// Why reusing the node's WireGuard key is safe: the DH value is never used as a key on its own;
// WireGuard mixes the same static-static DH into a chaining key that depends on the handshake's
// ephemeral DH (whitepaper §5.4.2), the control channel likewise inside its own Noise domain,
// and each relay through HMAC under its own label — independent keys. A proof is seen in clear
// by anyone on the path; it is a MAC output and reveals nothing of the key, and it is bound to
// a challenge (TCP) or a cookie for one address (UDP), so it cannot be replayed elsewhere.
//
// Buffer ownership: inputs are only read; keys and proofs are fresh buffers the caller may zero.

import { timingSafeEqual } from "node:crypto";
import { kdf1, mac } from "../wireguard/kdf.js";
import type { X25519 } from "../wireguard/x25519.js";

export const TCP_RELAY_LABEL = new TextEncoder().encode("meshgate relay v1");
export const UDP_RELAY_LABEL = new TextEncoder().encode("meshgate udp relay v1");

// The key both ends derive, or null when the peer's public key is of low order (the DH result
// is all zeros: no proof can come from it). The DH bytes are zeroed once used.
export function relayPairKey(x25519: X25519, ownPrivateKey: Uint8Array, peerPublicKey: Uint8Array, label: Uint8Array): Uint8Array | null {
  const shared = x25519.sharedSecret(ownPrivateKey, peerPublicKey);
  if (shared === null) return null;
  const [key] = kdf1(label, shared);
  shared.fill(0);
  return key;
}

// MAC(key, parts concatenated).
export function relayProof(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const message = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    message.set(part, offset);
    offset += part.length;
  }
  return mac(key, message);
}

// Compares in time independent of where the bytes differ (a MAC check must not tell an
// attacker how many leading bytes it got right).
export function equalMacs(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
