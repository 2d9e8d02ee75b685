// The auto-approve policy: `meshgate coordinator --auto-approve 192.168.0.0/16,10.0.0.0/8
// --auto-approve-exit-nodes`. A subnet route is covered when one of the policy's prefixes
// contains it (192.168.0.0/16 covers 192.168.1.0/24 and itself); the two exit routes are covered
// when exit nodes are.
//
// When it approves:
// 1. a route a node advertises with no row yet (first advertised, or advertised again after it
//    was withdrawn unapproved) — advertised-routes.ts;
// 2. at start, when the policy differs from the one the previous run recorded in the store: the
//    advertised, unapproved routes the new policy covers and the old one did not. Widening the
//    policy approves what waits for approval, but a route the old policy covered and is still
//    unapproved was rejected by an admin after its auto-approval — that newer decision stands.
// It never revokes: narrowing the policy leaves approvals as they are (an approval is a
// decision; `meshgate routes reject` undoes it).

import { parseIpPrefix, type IpPrefix } from "../net/ip-prefix.js";
import { isExitRoute, parseRoutePrefix, prefixContains, RouteSpecError } from "../net/subnet-route.js";
import { audit, type CoordinatorContext } from "./coordinator.js";

export interface AutoApprovePolicy {
  readonly autoApproveRoutes: readonly string[]; // canonical prefixes (parseAutoApproveRoute)
  readonly autoApproveExitNodes: boolean;
}

const NO_POLICY: AutoApprovePolicy = { autoApproveRoutes: [], autoApproveExitNodes: false };
const POLICY_META_KEY = "auto_approve_policy";

/** One prefix of the policy as an admin typed it; throws RouteSpecError with the fix. */
export function parseAutoApproveRoute(text: string): IpPrefix {
  // A default route would read as "approve exit nodes" to some and "approve every subnet" to
  // others: refused, with both spelled out.
  if (parseIpPrefix(text)?.cidr === 0) {
    throw new RouteSpecError(`"${text}" is a default route: use --auto-approve-exit-nodes for exit nodes; to approve every subnet route, list the ranges (e.g. 10.0.0.0/8,172.16.0.0/12,192.168.0.0/16)`);
  }
  return parseRoutePrefix(text);
}

/** Whether the policy approves `prefix` (a validated subnet route or an exit route). */
export function autoApproves(policy: AutoApprovePolicy, prefix: string): boolean {
  if (isExitRoute(prefix)) return policy.autoApproveExitNodes;
  const route = parseIpPrefix(prefix);
  return route !== null && policy.autoApproveRoutes.some((text) => prefixContains(parseIpPrefix(text)!, route));
}

const policyText = (policy: AutoApprovePolicy): string => JSON.stringify({ routes: [...policy.autoApproveRoutes].sort(), exitNodes: policy.autoApproveExitNodes });

function recordedPolicy(text: string | null): AutoApprovePolicy {
  if (text === null) return NO_POLICY;
  const { routes, exitNodes } = JSON.parse(text) as { routes: string[]; exitNodes: boolean };
  return { autoApproveRoutes: routes, autoApproveExitNodes: exitNodes };
}

/**
 * Step 2 above, at start (before the netmap is built): approves what a changed policy newly
 * covers, audits each approval, and records the policy. Returns how many routes it approved.
 */
export function applyChangedAutoApprovePolicy(context: CoordinatorContext): number {
  const { store, settings } = context;
  for (const text of settings.autoApproveRoutes) parseAutoApproveRoute(text); // a configuration error throws here, at start
  const current = policyText(settings);
  const previousText = store.getMeta(POLICY_META_KEY);
  if (previousText === current || (previousText === null && current === policyText(NO_POLICY))) return 0;
  const previous = recordedPolicy(previousText);
  const names = new Map(store.nodes.list().map((node) => [node.id, node.name]));
  return store.transaction(() => {
    let approved = 0;
    for (const route of store.routes.list()) {
      if (!route.advertised || route.approved || !autoApproves(settings, route.prefix) || autoApproves(previous, route.prefix)) continue;
      store.routes.set(route.nodeId, route.prefix, true, true);
      audit(context, "coordinator", "route-auto-approve", `${names.get(route.nodeId)} ${route.prefix} (the auto-approve policy changed)`);
      approved++;
    }
    store.setMeta(POLICY_META_KEY, current);
    return approved;
  });
}
