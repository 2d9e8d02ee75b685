// Pre-auth keys (the Headscale model): an admin creates one, hands it to whoever sets up a node,
// and that node enrolls with it — no WireGuard key is ever copied by hand.
//
//   mgauth1-<coordinator public key, base64url>-<id>-<secret, base64url>
//
// The coordinator's public key is pinned inside, so a node talks only to the coordinator the
// admin meant (the control channel's handshake is addressed to that key). The id names the key
// in lists and lookups; only a SHA-256 of the secret is stored. Kinds: one-off (spent by its
// first enrollment) or reusable; ephemeral (its nodes are removed when they go away); an
// optional expiry; revocable.

import { createHash, timingSafeEqual } from "node:crypto";
import type { RandomSource } from "../wireguard/random-source.js";

const PREFIX = "mgauth1";
const SECRET_BYTES = 32;
const ID_BYTES = 4;

export interface ParsedAuthKey {
  readonly coordinatorKey: Uint8Array;
  readonly id: string;
  readonly secret: Uint8Array;
}

export interface AuthKeyState {
  readonly secretHash: Uint8Array;
  readonly reusable: boolean;
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
  readonly usedCount: number;
}

export type AuthKeyVerdict = "ok" | "unknown" | "wrong_secret" | "revoked" | "expired" | "spent";

const base64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64url");

export function hashAuthKeySecret(secret: Uint8Array): Uint8Array {
  return Uint8Array.from(createHash("sha256").update(secret).digest());
}

export function generateAuthKey(random: RandomSource, coordinatorKey: Uint8Array): { text: string; parsed: ParsedAuthKey } {
  const id = Buffer.from(random.bytes(ID_BYTES)).toString("hex");
  const secret = random.bytes(SECRET_BYTES);
  return { text: `${PREFIX}-${base64url(coordinatorKey)}-${id}-${base64url(secret)}`, parsed: { coordinatorKey, id, secret } };
}

// null when the text is not an auth key of this format (the caller says what was expected).
export function parseAuthKey(text: string): ParsedAuthKey | null {
  const match = /^mgauth1-([A-Za-z0-9_-]{43})-([0-9a-f]{8})-([A-Za-z0-9_-]{43})$/.exec(text.trim());
  if (match === null) return null;
  const coordinatorKey = Uint8Array.from(Buffer.from(match[1]!, "base64url"));
  const secret = Uint8Array.from(Buffer.from(match[3]!, "base64url"));
  if (coordinatorKey.length !== 32 || secret.length !== SECRET_BYTES) return null;
  return { coordinatorKey, id: match[2]!, secret };
}

// Whether `secret` may enroll a node with the key `state` (null: no key with that id).
export function authKeyVerdict(state: AuthKeyState | null, secret: Uint8Array, now: number): AuthKeyVerdict {
  if (state === null) return "unknown";
  const hash = hashAuthKeySecret(secret);
  if (hash.length !== state.secretHash.length || !timingSafeEqual(hash, state.secretHash)) return "wrong_secret";
  if (state.revokedAt !== null) return "revoked";
  if (state.expiresAt !== null && now >= state.expiresAt) return "expired";
  if (!state.reusable && state.usedCount > 0) return "spent";
  return "ok";
}
