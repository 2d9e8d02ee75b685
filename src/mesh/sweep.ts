// What time alone changes, applied every few seconds (src/jobs schedules it):
//
// 1. ephemeral nodes offline for ephemeralOfflineMs are removed;
// 2. every node whose published entry no longer matches the time — its key expired (it leaves
//    everyone's map), or it went offline or came back — is marked, and the batch published;
// 3. the last-seen times heard since the previous sweep are saved in one transaction.
//
// One pass over the nodes (O(mesh size) per sweep); a quiet mesh publishes nothing.

import { audit, isKeyExpired, type CoordinatorContext } from "./coordinator.js";
import type { NetmapPublisher } from "./netmap-publisher.js";
import type { Presence } from "./presence.js";

export interface Sweep {
  run(): void;
}

export function createSweep(context: CoordinatorContext, publisher: NetmapPublisher, presence: Presence): Sweep {
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
  };
}
