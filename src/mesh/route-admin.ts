// What admins do with routes (part of AdminOperations, served by admin-http.ts): list every
// advertised or approved route, approve what a node advertises, reject (unapprove) routes.
//
// - approve: only routes the node advertises (approving a route before it is advertised would
//   be a standing approval nobody sees coming); an approval outlives a withdrawal, so a router
//   that restarts needs no new one (advertised-routes.ts).
// - reject: an advertised route stays listed, unapproved — and stays so while it is advertised,
//   whatever the auto-approve policy says; a route no longer advertised is forgotten.
// Every change is audited and published at once (publisher.flush: an admin expects the mesh to
// follow now); the primaries are re-elected in that publish.

import { isExitRoute, parseRoutePrefix, RouteSpecError } from "../net/subnet-route.js";
import type { NodeRecord, RouteRecord } from "../store/coordinator-store.js";
import { meshRanges } from "./advertised-routes.js";
import { ControlError } from "./control-protocol.js";
import { audit, type CoordinatorContext } from "./coordinator.js";
import type { NetmapPublisher } from "./netmap-publisher.js";
import type { Presence } from "./presence.js";
import type { RouteTable } from "./route-table.js";

export interface RouteView {
  readonly node: string;
  readonly nodeId: number;
  readonly prefix: string;
  readonly advertised: boolean;
  readonly approved: boolean;
  // Peers route the prefix to this node: it is the subnet's primary router, or an approved exit node.
  readonly primary: boolean;
  readonly online: boolean; // the node polled within the online window
}

// Which of a node's routes: these prefixes, its two exit routes, or all of them.
export type RouteSelector = readonly string[] | "exit-node" | "all";

export interface RouteChanges {
  readonly node: string;
  readonly changed: readonly string[]; // approved, or rejected (unapproved, or forgotten if no longer advertised)
  readonly unchanged: readonly string[]; // were so already
  readonly routes: readonly RouteView[]; // the node's routes afterwards
}

export interface RouteAdmin {
  listRoutes(): RouteView[];
  approveRoutes(nodeReference: string, selector: RouteSelector): RouteChanges;
  rejectRoutes(nodeReference: string, selector: RouteSelector): RouteChanges;
}

export function createRouteAdmin(
  context: CoordinatorContext,
  publisher: NetmapPublisher,
  presence: Presence,
  routes: RouteTable,
  findNode: (reference: string) => NodeRecord,
): RouteAdmin {
  const { store } = context;

  const view = (row: RouteRecord, name: string, now: number): RouteView => ({
    node: name,
    nodeId: row.nodeId,
    prefix: row.prefix,
    advertised: row.advertised,
    approved: row.approved,
    primary: row.advertised && row.approved && (isExitRoute(row.prefix) || routes.primaryOf(row.prefix) === row.nodeId),
    online: presence.isOnline(row.nodeId, now),
  });

  const nodeRoutes = (node: NodeRecord): RouteView[] => store.routes.forNode(node.id).map((row) => view(row, node.name, context.now()));

  const advertisedList = (rows: readonly RouteRecord[]): string => rows.filter((row) => row.advertised).map((row) => row.prefix).join(", ") || "nothing";

  // The prefixes `selector` names among `rows` (the node's) that `eligible` accepts; a named
  // prefix that is not there is a 400 saying what the node does advertise.
  const select = (node: NodeRecord, rows: readonly RouteRecord[], selector: RouteSelector, eligible: (row: RouteRecord) => boolean): RouteRecord[] => {
    const candidates = rows.filter(eligible);
    if (selector === "all") return candidates;
    const missing = (what: string): ControlError => new ControlError(400, "bad_request", `${node.name} ${what} (it advertises: ${advertisedList(rows)})`);
    if (selector === "exit-node") {
      const exits = candidates.filter((row) => isExitRoute(row.prefix));
      if (exits.length === 0) throw missing("does not offer to be an exit node");
      return exits;
    }
    return [...new Set(selector)].map((prefix) => {
      if (!isExitRoute(prefix)) {
        try {
          parseRoutePrefix(prefix, meshRanges(context));
        } catch (error) {
          if (error instanceof RouteSpecError) throw new ControlError(400, "bad_request", error.message);
          throw error;
        }
      }
      const row = candidates.find((candidate) => candidate.prefix === prefix);
      if (row === undefined) throw missing(`does not advertise ${prefix}`);
      return row;
    });
  };

  const publish = (node: NodeRecord): void => {
    publisher.mark(node.nodeKey, "soon");
    publisher.flush();
  };

  return {
    listRoutes() {
      // Primaries are elected as changes are published: a report a few milliseconds old is
      // published first, so the list shows what peers are about to be told.
      publisher.flush();
      const now = context.now();
      const names = new Map(store.nodes.list().map((node) => [node.id, node.name]));
      return store.routes.list().map((row) => view(row, names.get(row.nodeId)!, now));
    },

    approveRoutes(reference, selector) {
      const node = findNode(reference);
      const rows = store.routes.forNode(node.id);
      const selected = select(node, rows, selector, (row) => row.advertised);
      const changed = selected.filter((row) => !row.approved).map((row) => row.prefix);
      store.transaction(() => {
        for (const prefix of changed) {
          store.routes.set(node.id, prefix, true, true);
          audit(context, "admin", "route-approve", `${node.name} ${prefix}`);
        }
      });
      if (changed.length > 0) publish(node);
      return { node: node.name, changed, unchanged: selected.filter((row) => row.approved).map((row) => row.prefix), routes: nodeRoutes(node) };
    },

    rejectRoutes(reference, selector) {
      const node = findNode(reference);
      const rows = store.routes.forNode(node.id);
      const selected = select(node, rows, selector, () => true);
      const changed = selected.filter((row) => row.approved); // a row is kept unadvertised only while approved
      store.transaction(() => {
        for (const row of changed) {
          if (row.advertised) store.routes.set(node.id, row.prefix, true, false);
          else store.routes.remove(node.id, row.prefix);
          audit(context, "admin", "route-reject", `${node.name} ${row.prefix}${row.advertised ? "" : " (no longer advertised: forgotten)"}`);
        }
      });
      if (changed.length > 0) publish(node);
      return { node: node.name, changed: changed.map((row) => row.prefix), unchanged: selected.filter((row) => !row.approved).map((row) => row.prefix), routes: nodeRoutes(node) };
    },
  };
}
