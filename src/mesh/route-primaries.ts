// One primary router per subnet route. Several nodes may advertise the same prefix (two routers
// on one LAN, for failover), but a peer can send a prefix to one peer only (WireGuard's
// cryptokey routing: each AllowedIPs prefix belongs to one peer), so the coordinator elects
// one, the primary, and only its netmap entry carries the prefix in `routes`. Pure: liveness
// is a function argument (route-table.ts decides it from presence).
//
// Per prefix, among its candidates (the nodes that advertise it, approved):
// 1. the current primary keeps it while it is a candidate and live — sticky: a former primary
//    that comes back does not take it back (every switch costs the mesh a reconvergence, and a
//    router that just died is the likeliest to die again);
// 2. otherwise the live candidate with the lowest node id (any rule would do; a fixed one makes
//    elections repeatable);
// 3. no candidate live: the current primary keeps it (peers keep the route they have, and it is
//    the one most likely to come back), or the lowest id when the current one is no candidate.
// Exit routes are never elected: every approved exit node carries them (each peer picks its exit
// node); callers pass subnet routes only.

export interface PrimaryMove {
  readonly prefix: string;
  readonly from: number | null; // null: the prefix had no primary before
  readonly to: number | null; // null: no candidate is left
  // Why `from` lost it: it is no candidate any more (withdrawn, rejected, removed), or not live.
  readonly reason: "first" | "not-candidate" | "not-live";
}

export interface PrimaryElection {
  readonly primaries: ReadonlyMap<string, number>; // prefix → node id
  readonly moves: readonly PrimaryMove[];
}

export function electPrimaries(
  previous: ReadonlyMap<string, number>,
  candidates: ReadonlyMap<string, readonly number[]>,
  isLive: (nodeId: number) => boolean,
): PrimaryElection {
  const primaries = new Map<string, number>();
  const moves: PrimaryMove[] = [];
  for (const [prefix, nodeIds] of candidates) {
    if (nodeIds.length === 0) continue;
    const current = previous.get(prefix);
    const live = nodeIds.filter(isLive);
    const keep = current !== undefined && nodeIds.includes(current) && (live.length === 0 || live.includes(current));
    const primary = keep ? current : Math.min(...(live.length > 0 ? live : nodeIds));
    primaries.set(prefix, primary);
    if (primary === current) continue;
    const reason = current === undefined ? "first" : nodeIds.includes(current) ? "not-live" : "not-candidate";
    moves.push({ prefix, from: current ?? null, to: primary, reason });
  }
  for (const [prefix, from] of previous) {
    if (!primaries.has(prefix)) moves.push({ prefix, from, to: null, reason: "not-candidate" });
  }
  return { primaries, moves };
}
