// What `meshgate wg up` will do for a wg-quick(8) configuration, decided before anything
// changes: the interface name, MTU, addresses and routes, and what it refuses or ignores.
// Pure, so every rule is tested without root.
//
// Routes follow wg-quick: every peer's AllowedIPs is routed into the interface (Table = off:
// none; Table = <name or number>: into that table). With Table = auto (the default), a default
// route (0.0.0.0/0, ::/0) goes the way wg-quick sends it: into a table of its own (FwMark's
// number, else 51820), with the interface's socket marked and the rules of
// src/router/policy-routing.ts, so the tunnel's own datagrams still take the real network.

import { basename } from "node:path";
import { formatIpPrefix, type IpFamily, type IpPrefix } from "../net/ip-prefix.js";
import type { WireGuardConfig } from "../wireguard/config.js";

export const DEFAULT_INTERFACE_MTU = 1420;
// wg-quick's table (and mark) for default routes.
export const WG_QUICK_DEFAULT_TABLE = 51820;
// wg-quick's rule for interface names (and Linux's 15-character limit).
const INTERFACE_NAME = /^[a-zA-Z0-9_=+.-]{1,15}$/;

export class WgQuickPlanError extends Error {
  override readonly name = "WgQuickPlanError";
}

export interface WgQuickPlan {
  readonly interfaceName: string;
  readonly mtu: number;
  readonly addresses: readonly string[];
  readonly routes: readonly string[];
  readonly routeTable: string | undefined;
  // Default routes by policy routing (Table = auto with 0.0.0.0/0 or ::/0 in AllowedIPs).
  readonly defaultRoutes: { readonly table: number; readonly fwmark: number; readonly families: readonly IpFamily[] } | null;
  // The mark of the interface's UDP socket (FwMark, or the default-route table's number).
  readonly fwmark: number;
  // Fields the file sets that meshgate ignores, each with the reason, for the user to see.
  readonly warnings: readonly string[];
}

// `wg up wg0` means /etc/wireguard/wg0.conf, as for wg-quick.
export function configPathFor(argument: string): string {
  return argument.includes("/") || argument.endsWith(".conf") ? argument : `/etc/wireguard/${argument}.conf`;
}

export function interfaceNameFor(configPath: string): string {
  const name = basename(configPath).replace(/\.conf$/, "");
  if (!INTERFACE_NAME.test(name)) {
    throw new WgQuickPlanError(`"${name}" is not a usable interface name (1–15 of a-z A-Z 0-9 _ = + . -): rename the file`);
  }
  return name;
}

export function planWgQuick(configPath: string, config: WireGuardConfig): WgQuickPlan {
  const iface = config.interface;
  if (iface.privateKey === undefined) throw new WgQuickPlanError(`${configPath}: [Interface] needs a PrivateKey`);
  const routes = new Map<string, IpPrefix>();
  for (const peer of config.peers) for (const prefix of peer.allowedIps) routes.set(formatIpPrefix(prefix), prefix);
  const table = iface.table === undefined || iface.table === "auto" ? undefined : iface.table;
  const defaults = [...routes.values()].filter((prefix) => prefix.cidr === 0);
  let defaultRoutes: WgQuickPlan["defaultRoutes"] = null;
  if (table === undefined && defaults.length > 0) {
    const number = iface.fwMark !== undefined && iface.fwMark !== 0 ? iface.fwMark : WG_QUICK_DEFAULT_TABLE;
    defaultRoutes = { table: number, fwmark: number, families: [...new Set(defaults.map((prefix) => prefix.family))].sort() };
    for (const prefix of defaults) routes.delete(formatIpPrefix(prefix));
  }
  const warnings: string[] = [];
  if (iface.dns.length > 0) warnings.push(`DNS = ${iface.dns.join(", ")} is ignored: meshgate does not change the resolver configuration`);
  for (const [field, hooks] of [["PreUp", iface.preUp], ["PostUp", iface.postUp], ["PreDown", iface.preDown], ["PostDown", iface.postDown]] as const) {
    if (hooks.length > 0) warnings.push(`${field} is ignored: meshgate does not run shell hooks`);
  }
  if (iface.saveConfig === true) warnings.push("SaveConfig is ignored: the file is never rewritten");
  return {
    interfaceName: interfaceNameFor(configPath),
    mtu: iface.mtu ?? DEFAULT_INTERFACE_MTU,
    addresses: iface.addresses.map(formatIpPrefix),
    routes: table === "off" ? [] : [...routes.keys()],
    routeTable: table === "off" ? undefined : table,
    defaultRoutes,
    fwmark: defaultRoutes?.fwmark ?? iface.fwMark ?? 0,
    warnings,
  };
}
