// The coordinator: "a shared drop box for public keys". Nodes enroll with a pre-auth key, get
// mesh addresses, report where they can be reached and which routes they offer, and hold a long
// poll on which every change arrives as a netmap update; admins create and revoke keys, remove
// or expire nodes, approve routes; time alone expires keys, takes nodes offline and moves a
// subnet off a dead router. One concept per file:
//
//   control-service.ts    what nodes call (enroll, renew, report, poll)
//   admin-operations.ts   what admins call (keys, nodes, routes) — the admin socket, the CLI
//   sweep.ts              what time changes (expiry, offline, ephemeral removal, dead routers)
//   netmap-publisher.ts   every change goes through it: store → netmap log → waiting polls
//   netmap-log.ts         the netmap in memory, its change log, answers composed once
//   presence.ts           last-seen times in memory (saved by the sweep), hang-ups
//   advertised-routes.ts  a report's routes, checked and synced to the store
//   auto-approve.ts       the auto-approve policy
//   route-table.ts        approved routes in memory, a primary per subnet, router liveness
//   route-primaries.ts    the primary election (pure)
//   route-admin.ts        what admins do with routes
//
// This file holds what they share; src/daemon/coordinator.ts composes them.
//
// Flow of a change: a store write → publisher.mark(node key) → (batched, ≤ 10 ms later) one
// version bump, the changed nodes' entries rebuilt and serialised once, a change-log entry →
// every waiting poll wakes and is answered from the log (a delta composed once for all).

import type { CoordinatorStore, NodeRecord } from "../store/coordinator-store.js";
import type { RandomSource } from "../wireguard/random-source.js";
import type { AddressPool } from "./address-allocator.js";

export type { AuthKeyView, CreateAuthKeyOptions, NodeView } from "./admin-operations.js";
export type { RouteChanges, RouteSelector, RouteView } from "./route-admin.js";

export interface CoordinatorSettings {
  // A node's key is valid this long after enrollment or renewal (null: forever).
  readonly keyLifetimeMs: number | null;
  // An ephemeral node is removed after being offline this long.
  readonly ephemeralOfflineMs: number;
  // A node counts as online while it has polled within this window.
  readonly onlineWindowMs: number;
  // A poll with nothing new returns after this long (the node polls again).
  readonly pollTimeoutMs: number;
  // Subnet routes inside one of these prefixes are approved as they are advertised, and the
  // exit routes when exit nodes are (auto-approve.ts).
  readonly autoApproveRoutes: readonly string[];
  readonly autoApproveExitNodes: boolean;
  // A node carrying approved subnet routes has its poll answered after this long when nothing is
  // new, so it is heard every few seconds (route-table.ts: failover within 20 s).
  readonly routerPollTimeoutMs: number;
  // Such a router may be (or stay) a subnet's primary while heard within this window.
  readonly routerOnlineWindowMs: number;
}

export const DEFAULT_COORDINATOR_SETTINGS: CoordinatorSettings = {
  keyLifetimeMs: 180 * 24 * 3600_000,
  ephemeralOfflineMs: 30 * 60_000,
  onlineWindowMs: 45_000,
  pollTimeoutMs: 25_000,
  autoApproveRoutes: [],
  autoApproveExitNodes: false,
  routerPollTimeoutMs: 3000,
  routerOnlineWindowMs: 10_000,
};

// What every part of the coordinator is built from (the edges are injected: clock, timers,
// randomness).
export interface CoordinatorContext {
  readonly store: CoordinatorStore;
  readonly publicKey: Uint8Array;
  readonly pool: AddressPool;
  readonly random: RandomSource;
  readonly now: () => number; // wall clock, ms
  // Runs `run` after `delayMs`; returns a function that cancels it.
  readonly schedule: (delayMs: number, run: () => void) => () => void;
  readonly settings: CoordinatorSettings;
  readonly log: (line: string) => void;
}

export const isKeyExpired = (node: NodeRecord, now: number): boolean => node.keyExpiresAt !== null && now >= node.keyExpiresAt;

export function audit(context: CoordinatorContext, actor: string, action: string, detail: string): void {
  context.store.audit.append(context.now(), actor, action, detail);
}
