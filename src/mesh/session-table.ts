// The coordinator's live control sessions, and the newest handshake timestamp of each node key
// (whitepaper §5.1: an initiation is accepted only if its timestamp is newer). Everything here
// is bounded, and nothing a stranger sends can push out what a registered node holds:
//
// - Registered pool: the sessions of node keys the store knows, SESSIONS_PER_NODE_KEY per key
//   (a node uses one, two while it renews); a key's own new session pushes out its oldest.
//   With it, the key's newest timestamp, kept while the key is registered — so an initiation
//   of that node recorded off the wire can never be replayed to push its sessions out.
// - Unknown pool: sessions of keys the store does not know (they can only enroll: one call),
//   at most UNKNOWN_SESSIONS, oldest pushed out first, and their timestamps in a separate
//   table of at most UNKNOWN_TIMESTAMPS keys (least recently used goes; a forgotten one can be
//   replayed, which only churns this pool — a replayer gets no keys from it).
//   A flood of fresh keys churns this pool and nothing else.
// - A session that enrolls moves to its key's registered slot; a removed node's slot moves
//   back to the unknown pool.
// - Expiry: every session lives SESSION_LIFETIME_MS; the index is in creation order (creation
//   times only grow), so expiring is popping from the front — O(1) per session.
// - A session pushed out or expired while a call is running (a long poll) is closed — its keys
//   wiped — when that call ends, so the answer can still be sealed.

import type { RandomSource } from "../wireguard/random-source.js";
import { randomUint32 } from "../wireguard/random-source.js";
import type { Accepted } from "./control-channel.js";
import type { ControlSession } from "./control-session.js";

export interface SessionLimits {
  readonly lifetimeMs: number;
  readonly perNodeKey: number;
  readonly unknownSessions: number;
  readonly unknownTimestamps: number;
}

export interface SessionStats {
  readonly sessions: number;
  readonly registeredSessions: number;
  readonly unknownSessions: number;
  readonly registeredKeys: number;
  readonly unknownTimestamps: number;
}

interface Entry {
  readonly session: ControlSession;
  readonly key: string; // base64 node key
  readonly timestamp: Uint8Array; // of the initiation that opened it
  registered: boolean;
  calls: number;
  live: boolean;
}

interface Slot {
  timestamp: Uint8Array;
  readonly sessions: Entry[]; // oldest first
}

export interface SessionTable {
  lastTimestamp(nodeKey: Uint8Array): Uint8Array | null;
  newSessionId(): number;
  add(accepted: Accepted, registered: boolean, now: number): void;
  // The session for a call, counted as in use until release(); null if unknown or expired.
  use(id: number, now: number): ControlSession | null;
  release(session: ControlSession): void;
  // The session's key enrolled: into the registered pool.
  promote(session: ControlSession): void;
  // The node was removed: its slot goes back to the unknown pool.
  demote(nodeKey: string): void;
  expire(now: number): void;
  stats(): SessionStats;
}

const keyText = (key: Uint8Array): string => Buffer.from(key).toString("base64");

export function createSessionTable(limits: SessionLimits, random: RandomSource): SessionTable {
  const byId = new Map<number, Entry>(); // creation order
  const unknown = new Map<number, Entry>(); // creation order
  const slots = new Map<string, Slot>();
  const unknownTimestamps = new Map<string, Uint8Array>(); // least recently used first
  const entries = new WeakMap<ControlSession, Entry>();
  let registeredSessions = 0;

  const rememberUnknownTimestamp = (key: string, timestamp: Uint8Array): void => {
    unknownTimestamps.delete(key);
    unknownTimestamps.set(key, timestamp);
    if (unknownTimestamps.size > limits.unknownTimestamps) unknownTimestamps.delete(unknownTimestamps.keys().next().value!);
  };

  // Out of every index; the keys are wiped now, or when the last call using them ends.
  const retire = (entry: Entry): void => {
    if (!entry.live) return;
    entry.live = false;
    byId.delete(entry.session.id);
    if (entry.registered) {
      const slot = slots.get(entry.key);
      const at = slot?.sessions.indexOf(entry) ?? -1;
      if (at !== -1) slot!.sessions.splice(at, 1);
      registeredSessions--;
    } else {
      unknown.delete(entry.session.id);
    }
    if (entry.calls === 0) entry.session.close();
  };

  // `newest`: the entry's initiation is the key's newest (a new session, not a promotion).
  const intoSlot = (entry: Entry, newest: boolean): void => {
    let slot = slots.get(entry.key);
    if (slot === undefined) {
      slot = { timestamp: newest ? entry.timestamp : (unknownTimestamps.get(entry.key) ?? entry.timestamp), sessions: [] };
      slots.set(entry.key, slot);
    } else if (newest) {
      slot.timestamp = entry.timestamp;
    }
    unknownTimestamps.delete(entry.key);
    entry.registered = true;
    slot.sessions.push(entry);
    registeredSessions++;
    while (slot.sessions.length > limits.perNodeKey) retire(slot.sessions[0]!);
  };

  const intoUnknown = (entry: Entry): void => {
    entry.registered = false;
    unknown.set(entry.session.id, entry);
    while (unknown.size > limits.unknownSessions) retire(unknown.values().next().value!);
  };

  const expire = (now: number): void => {
    for (const entry of byId.values()) {
      if (now - entry.session.createdAt <= limits.lifetimeMs) break;
      retire(entry);
    }
  };

  return {
    lastTimestamp(nodeKey) {
      const key = keyText(nodeKey);
      return slots.get(key)?.timestamp ?? unknownTimestamps.get(key) ?? null;
    },
    newSessionId() {
      for (;;) {
        const id = randomUint32(random);
        if (!byId.has(id)) return id;
      }
    },
    add(accepted, registered, now) {
      expire(now);
      const entry: Entry = { session: accepted.session, key: keyText(accepted.session.peerKey), timestamp: accepted.timestamp, registered, calls: 0, live: true };
      byId.set(entry.session.id, entry);
      entries.set(entry.session, entry);
      if (registered) {
        intoSlot(entry, true);
      } else {
        rememberUnknownTimestamp(entry.key, accepted.timestamp);
        intoUnknown(entry);
      }
    },
    use(id, now) {
      const entry = byId.get(id);
      if (entry === undefined) return null;
      if (now - entry.session.createdAt > limits.lifetimeMs) {
        retire(entry);
        return null;
      }
      entry.calls++;
      return entry.session;
    },
    release(session) {
      const entry = entries.get(session);
      if (entry === undefined) return;
      entry.calls--;
      if (!entry.live && entry.calls === 0) session.close();
    },
    promote(session) {
      const entry = entries.get(session);
      if (entry === undefined || !entry.live || entry.registered) return;
      unknown.delete(session.id);
      intoSlot(entry, false);
    },
    demote(nodeKey) {
      const slot = slots.get(nodeKey);
      if (slot === undefined) return;
      slots.delete(nodeKey);
      rememberUnknownTimestamp(nodeKey, slot.timestamp);
      for (const entry of slot.sessions) {
        registeredSessions--;
        intoUnknown(entry);
      }
    },
    expire,
    stats: () => ({
      sessions: byId.size,
      registeredSessions,
      unknownSessions: unknown.size,
      registeredKeys: slots.size,
      unknownTimestamps: unknownTimestamps.size,
    }),
  };
}
