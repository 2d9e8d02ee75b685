// The nftables ruleset of a subnet router: one script for `nft -f`, built from the mesh
// interface and the approved routes. Pure text; src/router/README.md says what each chain does
// and why, and which nft and kernel features it relies on.
//
// The script replaces meshgate's own table in one transaction: `table … {}` makes sure it
// exists, `delete table …` removes it with everything in it, and the new table follows. nft
// commits all of it or none of it, so forwarding is never unfiltered in between and a script
// the kernel rejects leaves the old table in place. No other table is named.

import { formatIpPrefix, type IpPrefix } from "../net/ip-prefix.js";
import { isTranslated, type AdvertisedRoute } from "../net/subnet-route.js";
import type { RouterConfig } from "./subnet-router.js";

/** The named counter of packets from the mesh that no approved route let through. */
export const DROPPED_FROM_MESH_COUNTER = "dropped_from_mesh";

export class RouterRulesError extends Error {
  override readonly name = "RouterRulesError";
}

// Linux interface names are at most 15 bytes (IFNAMSIZ - 1). Inside an nft string `*` is a
// wildcard and `"` ends it, so only the characters real interface names use are accepted.
const INTERFACE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;

/** meshgate's table for `meshInterface`: "meshgate_" and the name, `-` and `.` written `_` (nft identifiers). */
export function routerTableName(meshInterface: string): string {
  if (!INTERFACE_NAME.test(meshInterface)) {
    throw new RouterRulesError(`"${meshInterface}" is not a usable interface name (1-15 letters, digits, "_", "-" or ".")`);
  }
  return `meshgate_${meshInterface.replace(/[.-]/g, "_")}`;
}

/**
 * The `nft -f` script that replaces meshgate's table with the rules for `config`. A config that
 * routes nothing still gets the forward filter, which then drops everything the mesh opens: a
 * node on a host whose forwarding someone else turned on (a container host) must not let a
 * peer through to that host's networks without an approved route. Throws RouterRulesError for
 * an unusable interface name or a route that cannot be translated 1:1.
 */
export function routerRuleset(meshInterface: string, config: RouterConfig): string {
  const table = routerTableName(meshInterface);
  config.routes.forEach(checkRoute);
  const mesh = `"${meshInterface}"`; // an nft string; the name has no quote or wildcard in it
  const translated = config.routes.filter(isTranslated);
  const chains = [mssClampChain(mesh), forwardChain(mesh), fromMeshChain(mesh, config), dnatChain(mesh, translated), snatChain(mesh, config, translated)];
  return [
    `table inet ${table} {}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
    `  counter ${DROPPED_FROM_MESH_COUNTER} {}`,
    ...chains.flatMap((chain) => (chain === null ? [] : ["", ...chain.map((line) => `  ${line}`)])),
    "}",
    "",
  ].join("\n");
}

function checkRoute(route: AdvertisedRoute): void {
  const shown = `${formatIpPrefix(route.lan)}=${formatIpPrefix(route.prefix)}`;
  if (route.prefix.family !== route.lan.family || route.prefix.cidr !== route.lan.cidr) {
    throw new RouterRulesError(`route ${shown}: a translated prefix must have the LAN's family and length`);
  }
  if (route.prefix.cidr === 0) throw new RouterRulesError(`route ${shown}: a default route is the exit node setting, not a subnet route`);
}

const family = (prefix: IpPrefix): string => (prefix.family === 4 ? "ip" : "ip6");

// A SYN or SYN-ACK into or out of the tunnel gets the MSS of the smaller of its route's MTU
// and the route back (nft_rt's TCPMSS), so a LAN host on 1500 bytes sends segments that fit
// the tunnel even when ICMP "fragmentation needed" never reaches it. The kernel only ever
// lowers an MSS here. Mangle priority: before the filter, whatever it decides.
function mssClampChain(mesh: string): string[] {
  return [
    "chain mss_clamp {",
    "  type filter hook forward priority mangle; policy accept;",
    `  iifname ${mesh} tcp flags syn / syn,rst tcp option maxseg size set rt mtu`,
    `  oifname ${mesh} tcp flags syn / syn,rst tcp option maxseg size set rt mtu`,
    "}",
  ];
}

// Only what comes from the mesh is ours to judge; anything else continues to whatever other
// tables decide (policy accept).
function forwardChain(mesh: string): string[] {
  return ["chain forward {", "  type filter hook forward priority filter; policy accept;", `  iifname ${mesh} jump from_mesh`, "}"];
}

// Forwarded packets from the mesh. Answers to connections opened from the other side pass;
// everything the mesh opens must match an approved route on every packet, so a route that is
// withdrawn stops its connections at once (conntrack would otherwise keep them going). A
// translated route is matched on the mesh-facing address it was sent to: the forward hook
// sees the LAN address after prerouting's DNAT, and the LAN's own addresses, which are
// ambiguous in the mesh, are not approved by it.
function fromMeshChain(mesh: string, config: RouterConfig): string[] {
  const routes = config.routes.map((route) => {
    const destination = `${family(route.lan)} daddr ${formatIpPrefix(route.lan)}`;
    return isTranslated(route) ? `ct original ${family(route.prefix)} daddr ${formatIpPrefix(route.prefix)} ${destination} accept` : `${destination} accept`;
  });
  return [
    "chain from_mesh {",
    "  ct direction reply accept",
    "  ct state related accept",
    ...routes.map((rule) => `  ${rule}`),
    // Hosted devices (a phone with the WireGuard app) reach the mesh, and are reached, through
    // this node: in by the mesh interface, out by it again.
    ...(config.hosted ?? []).flatMap((prefix) => [
      `  oifname ${mesh} ${family(prefix)} saddr ${formatIpPrefix(prefix)} accept`,
      `  oifname ${mesh} ${family(prefix)} daddr ${formatIpPrefix(prefix)} accept`,
    ]),
    ...(config.exitNode ? [`  oifname != ${mesh} accept`] : []),
    `  counter name "${DROPPED_FROM_MESH_COUNTER}" drop`,
    "}",
  ];
}

// Mesh-facing prefix → LAN prefix, host part kept (10.77.1.20 → 192.168.1.20): nft's prefix
// NAT, NETMAP-style. Conntrack translates the answers back.
function dnatChain(mesh: string, translated: readonly AdvertisedRoute[]): string[] | null {
  if (translated.length === 0) return null;
  return [
    "chain prerouting {",
    "  type nat hook prerouting priority dstnat; policy accept;",
    ...translated.map((route) => `  iifname ${mesh} ${family(route.prefix)} daddr ${formatIpPrefix(route.prefix)} dnat ${family(route.lan)} prefix to ${formatIpPrefix(route.lan)}`),
    "}",
  ];
}

// Source translation, in this order:
//  1. a translated LAN opening connections into the mesh appears as its mesh-facing prefix;
//  2. with snat, mesh traffic to a routed LAN leaves with this router's LAN address, so LAN
//     hosts answer it without a route to the mesh; without it, the mesh addresses are kept;
//  3. an exit node masquerades mesh traffic out of every other interface (the LAN too, unless
//     snat is off: then the LAN routes are exempted first, `accept` ending this chain).
// `iifname` matches here because the kernel passes the input device of forwarded packets to
// POSTROUTING (Linux 5.5 and later), so no packet mark is needed to remember it.
function snatChain(mesh: string, config: RouterConfig, translated: readonly AdvertisedRoute[]): string[] | null {
  const fromTranslatedLan = translated.map((route) => `oifname ${mesh} ${family(route.lan)} saddr ${formatIpPrefix(route.lan)} snat ${family(route.prefix)} prefix to ${formatIpPrefix(route.prefix)}`);
  const toLan = (verdict: string): string[] => config.routes.map((route) => `iifname ${mesh} ${family(route.lan)} daddr ${formatIpPrefix(route.lan)} ${verdict}`);
  const rules = config.exitNode
    ? [...fromTranslatedLan, ...(config.snat ? [] : toLan("accept")), `iifname ${mesh} oifname != ${mesh} masquerade`]
    : [...fromTranslatedLan, ...(config.snat ? toLan("masquerade") : [])];
  if (rules.length === 0) return null;
  return ["chain postrouting {", "  type nat hook postrouting priority srcnat; policy accept;", ...rules.map((rule) => `  ${rule}`), "}"];
}
