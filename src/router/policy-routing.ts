// Sending all traffic through the tunnel without sending the tunnel through itself: wg-quick's
// policy routing, as a plan of `ip rule` / `ip route` arguments (pure; the daemon applies it
// with src/io/ip-command.ts and takes it back on the way down).
//
//   the default routes go into a table of their own (table T: 0.0.0.0/0 and ::/0 dev <iface>);
//   rule "not fwmark M lookup T": every packet goes there, except those carrying mark M —
//     the interface's own UDP socket sets M on WireGuard, STUN and relay datagrams, so they
//     take the main table to the real network;
//   rule "to <host> lookup main" for each bypass destination (the coordinator): its control
//     and TCP relay connections come from Node's own sockets, which cannot carry the mark;
//   rule "lookup main suppress_prefixlength 0" (only when local networks stay reachable):
//     every route of the main table except its default wins — the LAN, other interfaces.
//
// Rules carry fixed priorities (PREF_*) below the main table's (32766), so they are applied
// and deleted by exact text and never reorder anyone else's rules.

import type { IpFamily } from "../net/ip-prefix.js";

export const PREF_BYPASS = 5200;
export const PREF_LOCAL_NETWORKS = 5210;
export const PREF_TUNNEL = 5220;

export interface DefaultRouteRouting {
  readonly interfaceName: string;
  readonly table: number;
  readonly fwmark: number;
  readonly families: readonly IpFamily[];
  readonly allowLocalNetworks: boolean;
  readonly bypass: readonly string[]; // host addresses (IPv4 or IPv6 text)
}

export interface RoutingRule {
  readonly family: IpFamily;
  readonly args: readonly string[]; // after `ip -4|-6 rule add|del`
}

export interface TableRoute {
  readonly family: IpFamily;
  readonly prefix: string;
  readonly table: number;
}

export interface PolicyRoutingPlan {
  readonly routes: readonly TableRoute[];
  readonly rules: readonly RoutingRule[];
}

export function planDefaultRouteRouting(spec: DefaultRouteRouting): PolicyRoutingPlan {
  const routes: TableRoute[] = [];
  const rules: RoutingRule[] = [];
  const mark = `0x${spec.fwmark.toString(16)}`;
  for (const family of spec.families) {
    routes.push({ family, prefix: family === 4 ? "0.0.0.0/0" : "::/0", table: spec.table });
    for (const host of spec.bypass) {
      if (host.includes(":") === (family === 6)) rules.push({ family, args: ["pref", String(PREF_BYPASS), "to", host, "lookup", "main"] });
    }
    if (spec.allowLocalNetworks) rules.push({ family, args: ["pref", String(PREF_LOCAL_NETWORKS), "lookup", "main", "suppress_prefixlength", "0"] });
    rules.push({ family, args: ["pref", String(PREF_TUNNEL), "not", "fwmark", mark, "lookup", String(spec.table)] });
  }
  return { routes, rules };
}
