// A mesh node's routing, composed: the owner's choices (routing-prefs.ts, kept in the node's
// store), the routes it advertises (in its report), what it forwards for the mesh (the subnet
// router's nftables table, src/router), the other nodes' routes it uses (peers' AllowedIPs
// and kernel routes, route-selection.ts) and the exit node (policy routing).
//
// Every netmap runs select() (pure: what the peers' AllowedIPs carry) and then sync() (the
// kernel and nftables follow, one change at a time). A failure to apply is logged, shown in
// `status`, and retried with the next netmap or change; the mesh itself keeps running.

import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { deleteRoute, replaceRoute } from "../io/ip-command.js";
import { localNetworks } from "../io/local-addresses.js";
import type { Netmap } from "../mesh/netmap.js";
import type { RoutingView } from "../mesh/node-status.js";
import { selectRoutes, type RouteSelection } from "../mesh/route-selection.js";
import {
  advertisedRoutesOf, changeRoutingPrefs, loadRoutingPrefs, PREF_FLAGS, ROUTING_PREFS_SETTING, RoutingPrefsError, type RoutingPrefs, type RoutingPrefsChange,
} from "../mesh/routing-prefs.js";
import { formatIpPrefix, parseIpPrefix, type IpPrefix } from "../net/ip-prefix.js";
import { EXIT_ROUTES, isExitRoute, reportedRoutes, type AdvertisedRoute } from "../net/subnet-route.js";
import { planDefaultRouteRouting, type PolicyRoutingPlan } from "../router/policy-routing.js";
import type { SubnetRouter } from "../router/subnet-router.js";
import type { NodeStore } from "../store/node-store.js";
import type { Log } from "./interface.js";
import { applyPolicyRouting, removePolicyRouting } from "./policy-routing.js";
import { canAdministerNetwork } from "../io/capabilities.js";

// The mark the node's UDP sockets carry and the table its exit routes live in (wg-quick uses
// 51820 for both; a different number lets a wg-quick tunnel run beside a mesh node).
export const MESH_FWMARK = 52820;
export const MESH_ROUTE_TABLE = 52820;

export interface MeshRoutingDeps {
  readonly store: NodeStore;
  readonly interfaceName: string;
  readonly meshRanges: readonly IpPrefix[];
  readonly coordinatorUrl: string;
  // The router's forwarding (nftables, sysctls), made when first needed: a node that routes
  // nothing needs nft only when the host forwards anyway (then its table guards the mesh).
  readonly forwarding: () => SubnetRouter;
  readonly hostForwards: () => Promise<boolean>;
  readonly setSourceValidMark: (on: boolean) => Promise<void>;
  readonly log: Log;
}

export interface MeshRouting {
  readonly prefs: RoutingPrefs;
  // The routes to put in this node's report.
  reportedRoutes(): string[];
  // Pure: the routes peers carry for this node under `netmap`; remembered for sync() and view().
  select(netmap: Netmap | null): RouteSelection;
  // The kernel and nftables follow the last select(); serialised, never throws.
  sync(netmap: Netmap | null): Promise<void>;
  // Validates a change, applies it with `reapply` (the caller's select + sync) and saves it; a
  // change that is invalid (RoutingPrefsError naming the field) or fails to apply (the error,
  // after the previous prefs are applied again) leaves everything as it was.
  change(change: RoutingPrefsChange, reapply: () => Promise<void>): Promise<RoutingPrefs>;
  view(netmap: Netmap | null): RoutingView;
  stop(): Promise<void>;
}

export class RoutingApplyError extends Error {
  override readonly name = "RoutingApplyError";
}

// Checks a change could be applied on this host at all, before anything is saved.
export function checkRoutingHost(prefs: RoutingPrefs, mayAdministerNetwork: boolean): void {
  const routes = prefs.advertiseRoutes.length > 0 || prefs.advertiseExitNode;
  if (!mayAdministerNetwork && (routes || prefs.exitNode !== null)) {
    const flag = routes ? (prefs.advertiseExitNode ? PREF_FLAGS.advertiseExitNode : PREF_FLAGS.advertiseRoutes) : PREF_FLAGS.exitNode;
    throw new RoutingPrefsError(routes ? "advertiseRoutes" : "exitNode", `${flag} needs root (or CAP_NET_ADMIN): it changes forwarding, nftables and routing`);
  }
}

export function createMeshRouting(deps: MeshRoutingDeps): MeshRouting {
  let prefs = loadRoutingPrefs(deps.store.getSetting(ROUTING_PREFS_SETTING));
  let selection: RouteSelection = selectRoutes(null, { acceptRoutes: false, exitNode: null, localNetworks: [] });
  let installed = new Set<string>(); // kernel routes into the interface
  let exitPlan: PolicyRoutingPlan | null = null;
  let forwarding: SubnetRouter | null = null;
  let error: string | null = null;
  let queue: Promise<void> = Promise.resolve();
  let stopped = false;

  const advertised = (): AdvertisedRoute[] => advertisedRoutesOf(prefs, deps.meshRanges);
  const approvedOf = (netmap: Netmap | null): string[] => [...(netmap?.self.approvedRoutes ?? [])];

  const syncKernelRoutes = async (): Promise<void> => {
    const wanted = new Set(selection.kernelRoutes);
    for (const prefix of wanted) if (!installed.has(prefix)) await replaceRoute(deps.interfaceName, prefix);
    for (const prefix of installed) if (!wanted.has(prefix)) await deleteRoute(deps.interfaceName, prefix);
    installed = wanted;
  };

  const syncForwarding = async (netmap: Netmap | null): Promise<void> => {
    const approved = new Set(approvedOf(netmap));
    const routes = advertised().filter((route) => approved.has(formatIpPrefix(route.prefix)));
    const exitNode = prefs.advertiseExitNode && EXIT_ROUTES.some((route) => approved.has(route));
    const hosted = (netmap?.self.devices ?? []).flatMap((device) => [parseIpPrefix(`${device.ipv4}/32`), parseIpPrefix(`${device.ipv6}/128`)]).filter((prefix): prefix is IpPrefix => prefix !== null);
    // Routing nothing on a host that forwards anyway (a container host), the table still goes
    // in: without it a peer could send through this node to the host's networks unapproved.
    if (forwarding === null && routes.length === 0 && !exitNode && hosted.length === 0 && !(await deps.hostForwards())) return;
    forwarding ??= deps.forwarding();
    await forwarding.update({ routes, exitNode, snat: prefs.snatSubnetRoutes, hosted });
  };

  const bypassHosts = async (): Promise<string[]> => {
    const host = new URL(deps.coordinatorUrl).hostname.replace(/^\[|\]$/g, "");
    if (isIP(host) !== 0) return [host];
    return (await lookup(host, { all: true })).map((answer) => answer.address);
  };

  const removeExitRouting = async (): Promise<void> => {
    if (exitPlan === null) return;
    await removePolicyRouting(deps.interfaceName, exitPlan);
    await deps.setSourceValidMark(false);
    exitPlan = null;
  };

  // The default routes go into the tunnel as soon as an exit node is chosen, whether or not it
  // is reachable: with it gone, internet traffic stops instead of leaking around it.
  const syncExitRouting = async (): Promise<void> => {
    if (prefs.exitNode === null) return removeExitRouting();
    const plan = planDefaultRouteRouting({
      interfaceName: deps.interfaceName, table: MESH_ROUTE_TABLE, fwmark: MESH_FWMARK, families: [4, 6],
      allowLocalNetworks: prefs.exitNodeAllowLanAccess, bypass: await bypassHosts(),
    });
    if (exitPlan !== null && JSON.stringify(exitPlan) === JSON.stringify(plan)) return;
    await removeExitRouting();
    await deps.setSourceValidMark(true);
    try {
      await applyPolicyRouting(deps.interfaceName, plan);
    } catch (failure) {
      await removePolicyRouting(deps.interfaceName, plan).catch(() => undefined); // nothing half-applied
      throw failure;
    }
    exitPlan = plan;
  };

  const enqueue = (work: () => Promise<void>): Promise<void> =>
    (queue = queue.then(work).then(
      () => void (error = null),
      (failure: unknown) => {
        error = failure instanceof Error ? failure.message : String(failure);
        deps.log(`routing: ${error}`);
      },
    ));

  return {
    get prefs() {
      return prefs;
    },
    reportedRoutes: () => reportedRoutes(advertised(), prefs.advertiseExitNode),
    select(netmap) {
      selection = selectRoutes(netmap, { acceptRoutes: prefs.acceptRoutes, exitNode: prefs.exitNode, localNetworks: localNetworks([deps.interfaceName]) });
      return selection;
    },
    sync(netmap) {
      return enqueue(async () => {
        if (stopped) return;
        await syncKernelRoutes();
        await syncForwarding(netmap);
        await syncExitRouting();
      });
    },
    async change(change, reapply) {
      const next = changeRoutingPrefs(prefs, change, deps.meshRanges);
      checkRoutingHost(next, canAdministerNetwork());
      const before = prefs;
      prefs = next;
      await reapply();
      if (error !== null) {
        const failure = new RoutingApplyError(error);
        prefs = before;
        await reapply();
        throw failure;
      }
      deps.store.setSetting(ROUTING_PREFS_SETTING, JSON.stringify(next));
      return prefs;
    },
    view(netmap) {
      const approved = approvedOf(netmap);
      return {
        prefs,
        approvedRoutes: approved.filter((route) => !isExitRoute(route)),
        primaryRoutes: (netmap?.self.routes ?? []).filter((route) => !isExitRoute(route)),
        exitNodeApproved: approved.some(isExitRoute),
        subnetRoutes: selection.subnetRoutes,
        exitNode: selection.exitNode,
        error,
      };
    },
    stop() {
      return enqueue(async () => {
        stopped = true;
        await removeExitRouting();
        await forwarding?.stop();
      });
    },
  };
}
