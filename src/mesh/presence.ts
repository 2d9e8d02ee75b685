// When each node was last heard from, in memory: every poll and report counts, and writing
// that to SQLite each time (a synchronous, fsynced commit) would cost a disk write per poll.
// The sweep writes what changed in one transaction every few seconds (takeUnsaved), so after a
// crash a node's last-seen time is at most one sweep old. Time is an argument.

export interface Presence {
  // Records `nodeId` as seen at `now`; true when this brings it online (it was not).
  seen(nodeId: number, now: number): boolean;
  lastSeen(nodeId: number): number | null;
  isOnline(nodeId: number, now: number): boolean;
  forget(nodeId: number): void;
  // The last-seen times changed since the previous call, to be saved.
  takeUnsaved(): [nodeId: number, at: number][];
}

export function createPresence(onlineWindowMs: number, saved: Iterable<readonly [number, number | null]>): Presence {
  const lastSeenAt = new Map<number, number>();
  const unsaved = new Set<number>();
  for (const [id, at] of saved) if (at !== null) lastSeenAt.set(id, at);

  const isOnline = (id: number, now: number): boolean => {
    const at = lastSeenAt.get(id);
    return at !== undefined && now - at < onlineWindowMs;
  };

  return {
    seen(id, now) {
      const wasOnline = isOnline(id, now);
      lastSeenAt.set(id, now);
      unsaved.add(id);
      return !wasOnline;
    },
    lastSeen: (id) => lastSeenAt.get(id) ?? null,
    isOnline,
    forget(id) {
      lastSeenAt.delete(id);
      unsaved.delete(id);
    },
    takeUnsaved() {
      const taken: [number, number][] = [];
      for (const id of unsaved) taken.push([id, lastSeenAt.get(id)!]);
      unsaved.clear();
      return taken;
    },
  };
}
