// Admin sessions, in memory only: a restart logs everyone out, and no session secret ever
// reaches the disk (CONVENTIONS 9). A session is a random 32-byte token in a cookie; the store
// keys it by the token's SHA-256, so looking a cookie up compares hashes, not secrets.
//
// A session ends when it is idle too long, when it is too old, when it is the oldest and a new
// one needs its place, on logout, and when the password changes (anywhere: the store compares
// the password version the session was made under with the current one on every request).

import { createHash, randomBytes } from "node:crypto";

export const SESSION_IDLE_MS = 12 * 3600_000;
export const SESSION_LIFETIME_MS = 7 * 24 * 3600_000;
// A home router has a handful of admins' browsers; a bound keeps a login loop from growing memory.
export const MAX_SESSIONS = 32;
const TOKEN_BYTES = 32;

export interface Session {
  readonly csrfToken: string;
  readonly passwordVersion: number;
  readonly createdAt: number;
  lastActiveAt: number;
  // A one-line message for the next page shown (after a redirect): "node x removed".
  flash: string | null;
}

export interface SessionStore {
  /** A new session (the oldest ends when MAX_SESSIONS are open); `token` goes in the cookie. */
  create(now: number, passwordVersion: number): { readonly token: string; readonly session: Session };
  /** The live session of `token`, or null (a dead one is forgotten). Does not count as activity. */
  find(token: string, now: number, passwordVersion: number): Session | null;
  end(token: string): void;
  count(): number;
}

const keyOf = (token: string): string => createHash("sha256").update(token).digest("hex");
const newToken = (): string => randomBytes(TOKEN_BYTES).toString("base64url");

function isLive(session: Session, now: number, passwordVersion: number): boolean {
  return session.passwordVersion === passwordVersion && now - session.lastActiveAt < SESSION_IDLE_MS && now - session.createdAt < SESSION_LIFETIME_MS;
}

export function createSessionStore(): SessionStore {
  // Insertion order is creation order: the first entry is the oldest.
  const sessions = new Map<string, Session>();

  return {
    create(now, passwordVersion) {
      for (const [key, session] of sessions) if (!isLive(session, now, passwordVersion)) sessions.delete(key);
      while (sessions.size >= MAX_SESSIONS) sessions.delete(sessions.keys().next().value!);
      const token = newToken();
      const session: Session = { csrfToken: newToken(), passwordVersion, createdAt: now, lastActiveAt: now, flash: null };
      sessions.set(keyOf(token), session);
      return { token, session };
    },

    find(token, now, passwordVersion) {
      const key = keyOf(token);
      const session = sessions.get(key);
      if (session === undefined) return null;
      if (isLive(session, now, passwordVersion)) return session;
      sessions.delete(key);
      return null;
    },

    end(token) {
      sessions.delete(keyOf(token));
    },

    count: () => sessions.size,
  };
}
