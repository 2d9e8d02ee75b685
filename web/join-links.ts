// One-time join links: a new key's join command behind a link an admin can send to whoever
// sets up the new machine. The link shows the command once and then is gone; it also ends
// after LINK_LIFETIME_MS, and at most MAX_LINKS wait at a time (the oldest goes first). Kept in
// memory: a restart ends every link, which is the safe side. Links are looked up by a hash of
// the token, so the lookup's timing tells nothing about the tokens kept.

import { createHash, randomBytes } from "node:crypto";

export const LINK_LIFETIME_MS = 60 * 60_000;
export const MAX_LINKS = 64;
const TOKEN_BYTES = 32;

export interface JoinLinks {
  /** A token for `joinCommand`, valid until `expiresAt` (ms) or its first use. */
  create(joinCommand: string, keyExpiresAt: number | null): { readonly token: string; readonly expiresAt: number };
  /** Whether `token` would still show its command (a page asks before it offers the button). */
  valid(token: string): boolean;
  /** The command, once; null for a token that is unknown, used or expired. */
  take(token: string): string | null;
}

export function createJoinLinks(now: () => number): JoinLinks {
  const links = new Map<string, { readonly joinCommand: string; readonly expiresAt: number }>();
  const hash = (token: string): string => createHash("sha256").update(token).digest("base64url");
  const live = (token: string) => {
    for (const [key, link] of links) if (link.expiresAt <= now()) links.delete(key);
    return links.get(hash(token)) ?? null;
  };
  return {
    create(joinCommand, keyExpiresAt) {
      const token = randomBytes(TOKEN_BYTES).toString("base64url");
      // A link outliving its key would show a command that no longer works.
      const expiresAt = Math.min(now() + LINK_LIFETIME_MS, keyExpiresAt ?? Number.POSITIVE_INFINITY);
      links.set(hash(token), { joinCommand, expiresAt });
      while (links.size > MAX_LINKS) links.delete(links.keys().next().value!);
      return { token, expiresAt };
    },
    valid: (token) => live(token) !== null,
    take(token) {
      const link = live(token);
      if (link === null) return null;
      links.delete(hash(token));
      return link.joinCommand;
    },
  };
}
