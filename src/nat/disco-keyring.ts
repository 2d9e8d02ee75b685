// The disco keys of this node with each of its peers, and the one door disco packets come in
// by: open() answers who sent a packet and what it says, or null — counted by reason — for
// anything malformed, from a node that is not a peer, or not authentic. Nothing throws.
//
// Keys are derived on first use, not when the netmap arrives: a map of 3,000 peers would cost
// 3,000 X25519 operations at once, most for peers this node never talks to. Only peers of the
// netmap get a key (the map is as large as the netmap), and a removed peer's key is wiped.

import type { CryptoCore } from "../dataplane/crypto-core.js";
import { encodeKey } from "../wireguard/key-base64.js";
import type { LocalIdentity } from "../wireguard/noise.js";
import type { RandomSource } from "../wireguard/random-source.js";
import type { X25519 } from "../wireguard/x25519.js";
import { decodeDiscoMessage, deriveDiscoKey, DISCO_NONCE_BYTES, discoSender, sealDisco, unsealDisco, type DiscoMessage } from "./disco.js";

export type DiscoDropReason =
  | "malformed" // not a disco packet of our version, or a body that does not parse
  | "unknownSender" // a sender that is not a peer in the netmap (this node itself included)
  | "unusableKey" // a peer whose node key is a low-order point: no disco key exists
  | "notAuthentic"; // the tag does not verify under the pair's key

export const DISCO_DROP_REASONS: readonly DiscoDropReason[] = ["malformed", "unknownSender", "unusableKey", "notAuthentic"];

export interface OpenedDisco {
  readonly sender: string; // the sender's node key, base64
  readonly message: DiscoMessage;
}

export interface DiscoKeyringDeps {
  readonly crypto: CryptoCore;
  readonly x25519: X25519;
  readonly random: RandomSource;
  readonly self: LocalIdentity;
}

export interface DiscoKeyring {
  // Adds a peer (idempotent). The node's own key is never a peer.
  add(publicKey: Uint8Array): void;
  // Forgets a peer and wipes its key.
  remove(peer: string): void;
  // A sealed packet to `peer`, or null when it is not a peer or has no usable key.
  seal(peer: string, message: DiscoMessage): Uint8Array | null;
  open(packet: Uint8Array): OpenedDisco | null;
  drops(): Readonly<Record<DiscoDropReason, number>>;
  // Whether a disco key with this peer exists (or can: derived on demand).
  usable(peer: string): boolean;
}

interface PeerKey {
  readonly publicKey: Uint8Array;
  // undefined: not derived yet; null: the peer's key is low-order.
  key: Uint8Array | null | undefined;
}

export function createDiscoKeyring(deps: DiscoKeyringDeps): DiscoKeyring {
  const selfKey = encodeKey(deps.self.publicKey);
  const peers = new Map<string, PeerKey>();
  const drops: Record<DiscoDropReason, number> = { malformed: 0, unknownSender: 0, unusableKey: 0, notAuthentic: 0 };

  const keyOf = (entry: PeerKey): Uint8Array | null => {
    if (entry.key === undefined) entry.key = deriveDiscoKey(deps.x25519, deps.self.privateKey, entry.publicKey);
    return entry.key;
  };

  return {
    add(publicKey) {
      const peer = encodeKey(publicKey);
      if (peer === selfKey || peers.has(peer)) return;
      peers.set(peer, { publicKey: publicKey.slice(), key: undefined });
    },
    remove(peer) {
      peers.get(peer)?.key?.fill(0);
      peers.delete(peer);
    },
    seal(peer, message) {
      const entry = peers.get(peer);
      const key = entry === undefined ? null : keyOf(entry);
      if (key === null) return null;
      return sealDisco(deps.crypto, key, deps.self.publicKey, deps.random.bytes(DISCO_NONCE_BYTES), message);
    },
    open(packet) {
      const senderBytes = discoSender(packet);
      if (senderBytes === null) {
        drops.malformed++;
        return null;
      }
      const sender = encodeKey(senderBytes);
      const entry = peers.get(sender);
      if (entry === undefined) {
        drops.unknownSender++;
        return null;
      }
      const key = keyOf(entry);
      if (key === null) {
        drops.unusableKey++;
        return null;
      }
      const plaintext = unsealDisco(deps.crypto, key, packet);
      if (plaintext === null) {
        drops.notAuthentic++;
        return null;
      }
      const message = decodeDiscoMessage(plaintext);
      if (message === null) {
        drops.malformed++;
        return null;
      }
      return { sender, message };
    },
    drops: () => ({ ...drops }),
    usable(peer) {
      const entry = peers.get(peer);
      return entry !== undefined && keyOf(entry) !== null;
    },
  };
}
