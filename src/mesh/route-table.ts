// The routes the netmap carries, in memory: each node's approved routes, the primary router of
// each subnet (route-primaries.ts), and which routers are live.
//
// 1. The approved routes mirror the store (advertised and approved rows of the nodes in the
//    netmap). The publisher refreshes a node's (carry / drop) each time it publishes the node —
//    and every write to a node's routes marks the node — so the mirror cannot miss a change.
// 2. A node's entry carries in `routes` the subnets it is primary for and the exit routes if it
//    is an approved exit node; in `approvedRoutes`, everything approved (it forwards all of it,
//    so a standby can take over with nothing to set up). Both sorted, so entries compare stably.
// 3. Liveness must be faster than "online" (45 s): peers must reach a subnet again within 20 s of
//    its primary dying. A router's empty polls return every routerPollTimeoutMs (≈3 s,
//    control-service.ts), so it is heard every few seconds; it is live while heard within
//    routerOnlineWindowMs (≈10 s), and not once it hung up (presence.ts) and stayed silent for
//    ROUTER_HANG_UP_GRACE_MS. The sweep re-elects every second (sweep.checkRouters) and a move
//    is published at once: ≤ 11 s after a router's link goes down, ≈ 3 s after it is killed.

import { isExitRoute } from "../net/subnet-route.js";
import type { NodeRecord } from "../store/coordinator-store.js";
import type { CoordinatorContext } from "./coordinator.js";
import type { Presence } from "./presence.js";
import { electPrimaries, type PrimaryMove } from "./route-primaries.js";

// How long a router that hung up has to poll again before it stops counting as live: its client
// reconnecting (a new session, a timeout of its own) must not cost a failover.
export const ROUTER_HANG_UP_GRACE_MS = 2000;

export type RouteNode = Pick<NodeRecord, "id" | "nodeKey" | "name">;

export interface CarriedRoutes {
  readonly routes: readonly string[];
  readonly approvedRoutes: readonly string[];
}

export interface RouteTable {
  // `node` carries `approved` (its advertised and approved routes) from now on.
  carry(node: RouteNode, approved: readonly string[]): void;
  // The node left the netmap (removed, key expired): it carries nothing.
  drop(nodeId: number): void;
  // Re-elects the primaries at `now` and logs each move; returns the keys of the nodes whose
  // `routes` changed (to be published).
  elect(now: number): string[];
  carried(nodeId: number): CarriedRoutes;
  primaryOf(prefix: string): number | undefined;
  // Whether the node carries an approved subnet route (so its polls return early: item 3).
  isRouter(nodeId: number): boolean;
}

interface Carrier {
  readonly node: RouteNode;
  readonly approved: readonly string[]; // sorted
  readonly subnets: readonly string[]; // approved minus the exit routes
}

const NOTHING: CarriedRoutes = { routes: [], approvedRoutes: [] };

export function createRouteTable(context: CoordinatorContext, presence: Presence): RouteTable {
  const { settings } = context;
  // Nodes that carry routes — and, until the next election, those that just stopped (named in
  // its log lines and republished).
  const carriers = new Map<number, Carrier>();
  let primaries: ReadonlyMap<string, number> = new Map();

  const isLive = (nodeId: number, now: number): boolean => {
    const heard = presence.lastSeen(nodeId);
    if (heard === null || now - heard >= settings.routerOnlineWindowMs) return false;
    const hungUp = presence.hungUpAt(nodeId);
    return hungUp === null || now - hungUp < ROUTER_HANG_UP_GRACE_MS;
  };

  const silence = (nodeId: number, now: number): string => {
    const hungUp = presence.hungUpAt(nodeId);
    if (hungUp !== null && now - hungUp >= ROUTER_HANG_UP_GRACE_MS) return `closed its connection ${Math.round((now - hungUp) / 1000)} s ago`;
    const heard = presence.lastSeen(nodeId);
    return heard === null ? "never heard" : `not heard for ${Math.round((now - heard) / 1000)} s`;
  };

  const describe = (move: PrimaryMove, now: number): string => {
    const name = (id: number): string => carriers.get(id)?.node.name ?? `node ${id}`;
    const { prefix, from, to } = move;
    if (from === null) return `route ${prefix}: primary is ${name(to!)}`;
    if (to === null) return `route ${prefix}: no router carries it any more (${name(from)} was its primary)`;
    const why = move.reason === "not-live" ? silence(from, now) : "no longer carries it: withdrawn, rejected or removed";
    return `route ${prefix}: primary moved from ${name(from)} to ${name(to)} (${name(from)} ${why})`;
  };

  return {
    carry(node, approved) {
      if (approved.length === 0 && !carriers.has(node.id)) return;
      const sorted = [...approved].sort();
      carriers.set(node.id, { node, approved: sorted, subnets: sorted.filter((prefix) => !isExitRoute(prefix)) });
    },

    drop(nodeId) {
      const carrier = carriers.get(nodeId);
      if (carrier !== undefined) carriers.set(nodeId, { node: carrier.node, approved: [], subnets: [] });
    },

    elect(now) {
      const candidates = new Map<string, number[]>();
      for (const [id, carrier] of carriers) for (const prefix of carrier.subnets) candidates.set(prefix, [...(candidates.get(prefix) ?? []), id]);
      const election = electPrimaries(primaries, candidates, (id) => isLive(id, now));
      primaries = election.primaries;
      const changed = new Set<string>();
      for (const move of election.moves) {
        context.log(describe(move, now));
        for (const id of [move.from, move.to]) {
          const key = id === null ? undefined : carriers.get(id)?.node.nodeKey;
          if (key !== undefined) changed.add(key);
        }
      }
      for (const [id, carrier] of carriers) if (carrier.approved.length === 0) carriers.delete(id);
      return [...changed];
    },

    carried(nodeId) {
      const carrier = carriers.get(nodeId);
      if (carrier === undefined) return NOTHING;
      return { routes: carrier.approved.filter((prefix) => isExitRoute(prefix) || primaries.get(prefix) === nodeId), approvedRoutes: carrier.approved };
    },

    primaryOf: (prefix) => primaries.get(prefix),
    isRouter: (nodeId) => (carriers.get(nodeId)?.subnets.length ?? 0) > 0,
  };
}
