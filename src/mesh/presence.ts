// When each node was last heard from, in memory: every poll and report counts, and writing
// that to SQLite each time (a synchronous, fsynced commit) would cost a disk write per poll.
// The sweep writes what changed in one transaction every few seconds (takeUnsaved), so after a
// crash a node's last-seen time is at most one sweep old. Time is an argument.
//
// Also kept: when a node hung up — the connection of a poll it was waiting on closed (a killed
// process: the kernel closes its socket at once). Only until it is heard again, and only if
// nothing was heard from it since that poll began (a node may open a new poll before the old
// connection's close arrives). Routers are judged by it (route-table.ts).

export interface Presence {
  // Records `nodeId` as seen at `now`; true when this brings it online (it was not).
  seen(nodeId: number, now: number): boolean;
  lastSeen(nodeId: number): number | null;
  isOnline(nodeId: number, now: number): boolean;
  forget(nodeId: number): void;
  // The connection of the poll heard at `heardAt` closed at `now` before its answer.
  hungUp(nodeId: number, heardAt: number, now: number): void;
  // When the node hung up, if it has not been heard since.
  hungUpAt(nodeId: number): number | null;
  // The last-seen times changed since the previous call, to be saved.
  takeUnsaved(): [nodeId: number, at: number][];
}

export function createPresence(onlineWindowMs: number, saved: Iterable<readonly [number, number | null]>): Presence {
  const lastSeenAt = new Map<number, number>();
  const hungUpAt = new Map<number, number>();
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
      hungUpAt.delete(id);
      unsaved.add(id);
      return !wasOnline;
    },
    lastSeen: (id) => lastSeenAt.get(id) ?? null,
    isOnline,
    forget(id) {
      lastSeenAt.delete(id);
      hungUpAt.delete(id);
      unsaved.delete(id);
    },
    hungUp(id, heardAt, now) {
      if (lastSeenAt.get(id) === heardAt) hungUpAt.set(id, now);
    },
    hungUpAt: (id) => hungUpAt.get(id) ?? null,
    takeUnsaved() {
      const taken: [number, number][] = [];
      for (const id of unsaved) taken.push([id, lastSeenAt.get(id)!]);
      unsaved.clear();
      return taken;
    },
  };
}
