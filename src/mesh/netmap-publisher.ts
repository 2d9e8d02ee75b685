// Every change to what nodes see goes through here:
//
// 1. A part of the coordinator writes the store, then marks the node key (mark): "soon" for a
//    change a person or a node made (enroll, report, remove…), "lazy" for a node that merely
//    came online. Marks are batched: a publish runs PUBLISH_DELAY_MS after the first "soon"
//    mark (ONLINE_PUBLISH_DELAY_MS after a "lazy" one), or at once on flush() (admin
//    operations, the sweep).
// 2. publish: each marked node is read once from the store, its approved routes too (the route
//    table's mirror, route-table.ts); the primaries are re-elected, and a node that gains or
//    loses a subnet is published with them. Each entry is rebuilt, and kept only if it differs
//    from the one published. Nothing differs: nothing happens. Otherwise one version bump in
//    the store (versions survive restarts), one change-log entry (netmap-log.ts), and every
//    waiting poll wakes.
// 3. A marked node the store no longer has is gone: listeners hear of it (its sessions are
//    demoted, session-table.ts).
//
// On start the version moves past everything handed out before: a restart counts as a change,
// so every node's first answer is a full map (its presence, for one, was not kept).

import type { NatFacts } from "./control-protocol.js";
import type { NodeRecord } from "../store/coordinator-store.js";
import { isKeyExpired, type CoordinatorContext } from "./coordinator.js";
import { createNetmapLog, DEFAULT_NETMAP_LOG_LIMITS, type NetmapLog, type NetmapLogLimits } from "./netmap-log.js";
import { sameNode, type NetmapNode } from "./netmap.js";
import type { Presence } from "./presence.js";
import type { RouteTable } from "./route-table.js";

// A change waits this long for others to share its version (a burst of reports or enrollments
// is one fan-out); "came online" alone waits longer — it matters less and comes in storms
// (every node at once after a coordinator restart).
export const PUBLISH_DELAY_MS = 10;
export const ONLINE_PUBLISH_DELAY_MS = 1000;

// Versions are handed out from blocks reserved in the store: the store holds the highest
// version that may have been handed out, so after any crash the next process starts above
// every version a node can hold — with one synchronous (fsynced) write per block, not per
// publish (which would stall every fan-out on the disk).
export const VERSION_BLOCK = 10_000;

export type Urgency = "soon" | "lazy";

// Subscribes `listener` to the caller going away (a closed connection); returns the unsubscribe.
// A function rather than an AbortSignal: a poll is waiting on every node at all times, and an
// AbortSignal costs ~15 µs to create.
export type OnGone = (listener: () => void) => () => void;

export interface NetmapPublisher {
  readonly log: NetmapLog;
  mark(nodeKey: string, urgency: Urgency): void;
  // Publishes what is marked, now.
  flush(): void;
  // Resolves once the version is past `version`, after `timeoutMs`, or when the caller goes.
  waitPast(version: number, timeoutMs: number, onGone: OnGone): Promise<void>;
  // Wakes every waiting poll (shutdown).
  wakeAll(): void;
  onNodeGone(listener: (nodeKey: string) => void): void;
  // Shutdown: the batch timer is cancelled, waiting polls wake, marks are ignored from now on.
  stop(): void;
  netmapNode(node: NodeRecord, now: number): NetmapNode;
  // The store id of a node in the log.
  idOf(nodeKey: string): number | undefined;
}

export function createNetmapPublisher(context: CoordinatorContext, presence: Presence, routes: RouteTable, limits: NetmapLogLimits = DEFAULT_NETMAP_LOG_LIMITS): NetmapPublisher {
  const { store } = context;
  const dirty = new Set<string>();
  const waiters = new Set<() => void>();
  const goneListeners: ((nodeKey: string) => void)[] = [];
  let pending: { urgency: Urgency; cancel: () => void } | null = null;
  let stopped = false;
  const ids = new Map<string, number>(); // node key → store id, for the nodes in the log
  let reservedUpTo = 0;
  const nextVersion = (current: number): number => {
    if (current + 1 > reservedUpTo) reservedUpTo = store.bumpNetmapVersion(VERSION_BLOCK);
    return current + 1;
  };

  const netmapNode = (node: NodeRecord, now: number): NetmapNode => {
    const carried = routes.carried(node.id);
    const devices = store.devices.forNode(node.id).map(({ name, publicKey, ipv4, ipv6 }) => ({ name, publicKey, ipv4, ipv6 }));
    return {
      nodeKey: node.nodeKey,
      name: node.name,
      ipv4: node.ipv4,
      ipv6: node.ipv6,
      endpoints: node.endpoints,
      routes: carried.routes,
      // Left out when empty: most nodes route nothing, and a full map lists every node.
      ...(carried.approvedRoutes.length > 0 ? { approvedRoutes: carried.approvedRoutes } : {}),
      ...(devices.length > 0 ? { devices } : {}),
      online: presence.isOnline(node.id, now),
      keyExpiresAt: node.keyExpiresAt,
      // Stored as the node reported it, which parseControlRequest checked to be NatFacts.
      nat: node.nat as NatFacts | null,
      relayPort: node.relayPort,
    };
  };

  const approvedPrefixes = (nodeId: number): string[] =>
    store.routes.forNode(nodeId).filter((route) => route.advertised && route.approved).map((route) => route.prefix);

  const start = (): NetmapLog => {
    const now = context.now();
    const approved = new Map<number, string[]>();
    for (const route of store.routes.approved()) approved.set(route.nodeId, [...(approved.get(route.nodeId) ?? []), route.prefix]);
    const records = store.nodes.list().filter((node) => !isKeyExpired(node, now));
    for (const record of records) {
      ids.set(record.nodeKey, record.id);
      routes.carry(record, approved.get(record.id) ?? []);
    }
    routes.elect(now);
    return createNetmapLog(nextVersion(store.netmapVersion()), records.map((node) => netmapNode(node, now)), limits);
  };
  const log = start();

  const wakeAll = (): void => {
    for (const wake of [...waiters]) wake();
  };

  const publish = (): void => {
    pending?.cancel();
    pending = null;
    if (dirty.size === 0) return;
    const now = context.now();
    const records = new Map<string, NodeRecord | null>();
    for (const key of dirty) {
      const record = store.nodes.byKey(key);
      records.set(key, record);
      const id = record?.id ?? ids.get(key);
      if (record !== null && !isKeyExpired(record, now)) routes.carry(record, approvedPrefixes(record.id));
      else if (id !== undefined) routes.drop(id);
    }
    dirty.clear();
    for (const key of routes.elect(now)) if (!records.has(key)) records.set(key, store.nodes.byKey(key));
    const upsert: NetmapNode[] = [];
    const remove: string[] = [];
    const gone: string[] = [];
    for (const [key, record] of records) {
      if (record === null) gone.push(key);
      if (record !== null && !isKeyExpired(record, now)) {
        const node = netmapNode(record, now);
        const published = log.node(key);
        if (published === undefined || !sameNode(published, node)) upsert.push(node);
        ids.set(key, record.id);
      } else if (log.has(key)) {
        remove.push(key);
        ids.delete(key);
      }
    }
    if (upsert.length > 0 || remove.length > 0) {
      log.publish(nextVersion(log.version), upsert, remove);
      wakeAll();
    }
    for (const key of gone) for (const listener of goneListeners) listener(key);
  };

  return {
    log,
    mark(key, urgency) {
      if (stopped) return;
      dirty.add(key);
      if (pending !== null && (pending.urgency === "soon" || urgency === "lazy")) return;
      pending?.cancel();
      pending = { urgency, cancel: context.schedule(urgency === "soon" ? PUBLISH_DELAY_MS : ONLINE_PUBLISH_DELAY_MS, publish) };
    },
    flush: publish,
    waitPast(version, timeoutMs, onGone) {
      if (log.version > version) return Promise.resolve();
      return new Promise<void>((resolve) => {
        let finished = false;
        const done = (): void => {
          if (finished) return;
          finished = true;
          cancelTimeout();
          waiters.delete(done);
          unsubscribe();
          resolve();
        };
        const cancelTimeout = context.schedule(timeoutMs, done);
        waiters.add(done);
        const unsubscribe = onGone(done);
      });
    },
    wakeAll,
    onNodeGone: (listener) => void goneListeners.push(listener),
    stop() {
      stopped = true;
      pending?.cancel();
      pending = null;
      dirty.clear();
      wakeAll();
    },
    netmapNode: (node, now) => netmapNode(node, now),
    idOf: (key) => ids.get(key),
  };
}
