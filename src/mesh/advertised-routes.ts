// A node's advertised routes, from its report (enroll, report: control-service.ts) to the store.
//
// 1. check, before anything is written: each subnet route must be a canonical prefix — not a
//    default route, nothing reserved, nothing inside the mesh's own addresses (parseRoutePrefix,
//    the function the node checks its own flags with); the exit routes pass as they are. One bad
//    route refuses the report with a 400 naming it and why: a node that gets here is out of step
//    with its coordinator (another version, another mesh's ranges), and a person must look.
// 2. sync, inside the caller's transaction, row by row (store.routes: advertised, approved):
//    - reported, no row yet: advertised; approved if the auto-approve policy covers it (audited);
//    - reported, withdrawn earlier but still approved: advertised again, no new approval needed
//      (a router that restarts, or briefly lost a flag, comes back without an admin);
//    - not reported, advertised: withdrawn — kept, unadvertised, if approved; deleted otherwise.
// Absent `routes` (a node from before subnet routing) advertises none.

import type { IpPrefix } from "../net/ip-prefix.js";
import { isExitRoute, parseRoutePrefix, RouteSpecError } from "../net/subnet-route.js";
import type { NodeRecord } from "../store/coordinator-store.js";
import { autoApproves } from "./auto-approve.js";
import { ControlError } from "./control-protocol.js";
import { audit, type CoordinatorContext } from "./coordinator.js";

// What no subnet route may overlap: the mesh's own IPv4 pool and IPv6 ULA prefix.
export const meshRanges = (context: CoordinatorContext): readonly IpPrefix[] => [context.pool.ipv4, context.pool.ipv6];

/**
 * Step 1: the reported routes, each once, in the order given; throws ControlError(400) naming
 * the first invalid one and why.
 */
export function checkAdvertisedRoutes(reported: readonly string[] | undefined, ranges: readonly IpPrefix[]): string[] {
  const routes = [...new Set(reported ?? [])];
  for (const route of routes) {
    if (isExitRoute(route)) continue;
    try {
      parseRoutePrefix(route, ranges);
    } catch (error) {
      if (error instanceof RouteSpecError) throw new ControlError(400, "bad_request", `advertised route refused: ${error.message}`);
      throw error;
    }
  }
  return routes;
}

/** Step 2, for routes from checkAdvertisedRoutes; true when a row changed (the node's entry may have). */
export function syncAdvertisedRoutes(context: CoordinatorContext, node: Pick<NodeRecord, "id" | "name">, reported: readonly string[]): boolean {
  const { store, settings } = context;
  const rows = new Map(store.routes.forNode(node.id).map((row) => [row.prefix, row]));
  let changed = false;
  const waiting: string[] = [];
  for (const prefix of reported) {
    const row = rows.get(prefix);
    if (row?.advertised === true) continue;
    changed = true;
    if (row !== undefined) {
      store.routes.set(node.id, prefix, true, row.approved);
      continue;
    }
    const approved = autoApproves(settings, prefix);
    store.routes.set(node.id, prefix, true, approved);
    if (approved) audit(context, "coordinator", "route-auto-approve", `${node.name} ${prefix}`);
    else waiting.push(prefix);
  }
  for (const prefix of waiting.filter((route) => !isExitRoute(route))) {
    context.log(`${node.name} advertises ${prefix}, waiting for approval: meshgate routes approve ${node.name} ${prefix}`);
  }
  if (waiting.some(isExitRoute)) context.log(`${node.name} offers to be an exit node, waiting for approval: meshgate routes approve ${node.name} exit-node`);
  const stillReported = new Set(reported);
  for (const row of rows.values()) {
    if (!row.advertised || stillReported.has(row.prefix)) continue;
    changed = true;
    if (row.approved) store.routes.set(node.id, row.prefix, false, true);
    else store.routes.remove(node.id, row.prefix);
  }
  return changed;
}
