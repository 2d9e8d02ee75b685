// What time alone changes, applied every few seconds (src/jobs schedules it):
//
// 1. ephemeral nodes offline for ephemeralOfflineMs are removed;
// 2. every node whose published entry no longer matches the time — its key expired (it leaves
//    everyone's map), or it went offline or came back — is marked, and the batch published;
// 3. the last-seen times heard since the previous sweep are saved in one transaction.
//
// One pass over the nodes (O(mesh size) per sweep); a quiet mesh publishes nothing.
//
// checkRouters is the fast part, every ROUTER_CHECK_INTERVAL_MS: the primaries re-elected from
// the routers' liveness (route-table.ts), a move published at once. It costs one pass over the
// nodes that carry subnet routes, nothing for the others.

import { audit, isKeyExpired, type CoordinatorContext } from "./coordinator.js";
import type { NetmapPublisher } from "./netmap-publisher.js";
import type { Presence } from "./presence.js";
import type { RouteTable } from "./route-table.js";

// A second of the ≤ 20 s a subnet may stay unreachable after its primary dies (route-table.ts).
export const ROUTER_CHECK_INTERVAL_MS = 1000;

export interface Sweep {
  run(): void;
  checkRouters(): void;
}

export function createSweep(context: CoordinatorContext, publisher: NetmapPublisher, presence: Presence, routes: RouteTable): Sweep {
  const { store, settings } = context;
  return {
    run() {
      const now = context.now();
      for (const node of store.nodes.list()) {
        const lastSeen = presence.lastSeen(node.id) ?? node.lastSeenAt ?? node.createdAt;
        if (node.ephemeral && !presence.isOnline(node.id, now) && now - lastSeen >= settings.ephemeralOfflineMs) {
          store.nodes.remove(node.id);
          presence.forget(node.id);
          audit(context, "coordinator", "remove-ephemeral", `${node.name} offline since ${new Date(lastSeen).toISOString()}`);
          publisher.mark(node.nodeKey, "soon");
          continue;
        }
        const published = publisher.log.node(node.nodeKey);
        const visible = !isKeyExpired(node, now);
        if (visible !== (published !== undefined) || (published !== undefined && published.online !== presence.isOnline(node.id, now))) {
          publisher.mark(node.nodeKey, "soon");
        }
      }
      const unsaved = presence.takeUnsaved();
      if (unsaved.length > 0) store.transaction(() => unsaved.forEach(([id, at]) => store.nodes.touch(id, at)));
      publisher.flush();
    },

    checkRouters() {
      const moved = routes.elect(context.now());
      if (moved.length === 0) return;
      for (const key of moved) publisher.mark(key, "soon");
      publisher.flush();
    },
  };
}
