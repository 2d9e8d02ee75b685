// What a node's owner chose about routing: the subnets and exit node it offers, whether it
// masquerades mesh traffic into its LAN, whether it takes other nodes' subnet routes, and which
// exit node it uses. Set by `meshgate up` and `meshgate set` (the same flags), kept in the
// node's store so a restart keeps them; a change names the field that is wrong and changes
// nothing.

import { parseIpAddress, parseIpPrefix, type IpPrefix } from "../net/ip-prefix.js";
import { parseAdvertisedRoutes, RouteSpecError, type AdvertisedRoute } from "../net/subnet-route.js";
import { DEFAULT_IPV4_POOL } from "./address-allocator.js";

/** The node store's setting that keeps the saved prefs (RoutingPrefs as JSON). */
export const ROUTING_PREFS_SETTING = "routing-prefs";

export interface RoutingPrefs {
  // As written: "192.168.1.0/24" or "192.168.1.0/24=10.77.1.0/24" (checked by parseAdvertisedRoutes).
  readonly advertiseRoutes: readonly string[];
  readonly advertiseExitNode: boolean;
  readonly snatSubnetRoutes: boolean;
  readonly acceptRoutes: boolean;
  readonly exitNode: string | null; // a peer's name or mesh address
  readonly exitNodeAllowLanAccess: boolean;
}

// acceptRoutes is on: a node that joins a mesh wants to reach what the mesh offers, and the
// case that makes Tailscale default it off on Linux — a route that would shadow the node's own
// LAN — is handled per route instead (route-selection.ts leaves such a route out and says so).
export const DEFAULT_ROUTING_PREFS: RoutingPrefs = {
  advertiseRoutes: [],
  advertiseExitNode: false,
  snatSubnetRoutes: true,
  acceptRoutes: true,
  exitNode: null,
  exitNodeAllowLanAccess: false,
};

export type RoutingPrefsChange = Partial<RoutingPrefs>;

export class RoutingPrefsError extends Error {
  override readonly name = "RoutingPrefsError";
  constructor(
    readonly field: keyof RoutingPrefs,
    message: string,
  ) {
    super(message);
  }
}

// The command-line flag of each field, for messages.
export const PREF_FLAGS: Readonly<Record<keyof RoutingPrefs, string>> = {
  advertiseRoutes: "--advertise-routes",
  advertiseExitNode: "--advertise-exit-node",
  snatSubnetRoutes: "--snat-subnet-routes",
  acceptRoutes: "--accept-routes",
  exitNode: "--exit-node",
  exitNodeAllowLanAccess: "--exit-node-allow-lan-access",
};

const NODE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/i;

/** A change as JSON from the node API or the store: each field of the right type, nothing else. */
export function parseRoutingPrefsChange(value: unknown): RoutingPrefsChange {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new RoutingPrefsError("advertiseRoutes", "the change must be a JSON object");
  const change: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    if (!(key in PREF_FLAGS)) throw new RoutingPrefsError("advertiseRoutes", `unknown setting "${key}" (known: ${Object.keys(PREF_FLAGS).join(", ")})`);
    const name = key as keyof RoutingPrefs;
    if (name === "advertiseRoutes") {
      if (!Array.isArray(field) || !field.every((item) => typeof item === "string")) throw new RoutingPrefsError(name, `${PREF_FLAGS[name]} must be a list of prefixes`);
    } else if (name === "exitNode") {
      if (field !== null && typeof field !== "string") throw new RoutingPrefsError(name, `${PREF_FLAGS[name]} must be a node name, a mesh address, or empty`);
    } else if (typeof field !== "boolean") {
      throw new RoutingPrefsError(name, `${PREF_FLAGS[name]} must be true or false`);
    }
    change[name] = field;
  }
  return change as RoutingPrefsChange;
}

/** The mesh-facing routes of `prefs`, checked (against the mesh's own ranges when known). */
export function advertisedRoutesOf(prefs: RoutingPrefs, meshRanges: readonly IpPrefix[] = []): AdvertisedRoute[] {
  try {
    return parseAdvertisedRoutes(prefs.advertiseRoutes.join(","), meshRanges);
  } catch (error) {
    if (error instanceof RouteSpecError) throw new RoutingPrefsError("advertiseRoutes", `${PREF_FLAGS.advertiseRoutes}: ${error.message}`);
    throw error;
  }
}

/**
 * `current` with `change` applied, or a RoutingPrefsError naming the first field that is wrong
 * (then nothing is to be applied). An empty exit node clears it.
 */
export function changeRoutingPrefs(current: RoutingPrefs, change: RoutingPrefsChange, meshRanges: readonly IpPrefix[] = []): RoutingPrefs {
  const exitNode = change.exitNode === undefined ? current.exitNode : change.exitNode === null || change.exitNode.trim() === "" ? null : change.exitNode.trim();
  const next: RoutingPrefs = { ...current, ...change, exitNode };
  advertisedRoutesOf(next, meshRanges);
  if (next.exitNode !== null && parseIpAddress(next.exitNode) === null && !NODE_NAME.test(next.exitNode)) {
    throw new RoutingPrefsError("exitNode", `${PREF_FLAGS.exitNode}: "${next.exitNode}" is neither a node name nor a mesh address`);
  }
  if (next.exitNode !== null && next.advertiseExitNode) {
    throw new RoutingPrefsError("exitNode", `${PREF_FLAGS.exitNode} and ${PREF_FLAGS.advertiseExitNode} exclude each other: an exit node sends its traffic to the internet itself`);
  }
  if (next.exitNodeAllowLanAccess && next.exitNode === null && change.exitNodeAllowLanAccess === true) {
    throw new RoutingPrefsError("exitNodeAllowLanAccess", `${PREF_FLAGS.exitNodeAllowLanAccess} only applies with ${PREF_FLAGS.exitNode}`);
  }
  return next;
}

/** Saved prefs (JSON text from the store); defaults where the text is absent. */
export function loadRoutingPrefs(text: string | null): RoutingPrefs {
  if (text === null) return DEFAULT_ROUTING_PREFS;
  return changeRoutingPrefs(DEFAULT_ROUTING_PREFS, parseRoutingPrefsChange(JSON.parse(text)));
}

/**
 * The text of `--advertise-routes` (also `advertise_routes` in the Pi image's meshgate.conf) as
 * the list the prefs keep; RouteSpecError when its syntax is wrong. Checked against the default
 * mesh pool here: the node checks again against its mesh's own ranges.
 */
export function parseAdvertiseRoutesOption(text: string): string[] {
  parseAdvertisedRoutes(text, [parseIpPrefix(DEFAULT_IPV4_POOL)!]);
  return text.split(",").map((route) => route.trim()).filter((route) => route !== "");
}

/** Where saved prefs live: the node store's settings (src/store/node-store.ts). */
export interface RoutingPrefsSettings {
  getSetting(key: string): string | null;
  setSetting(key: string, value: string): void;
}

/**
 * Applies `change` to the saved prefs without a running node (the node takes them when it
 * starts), as `meshgate up` would save them; RoutingPrefsError and nothing saved when it is wrong.
 */
export function saveRoutingPrefsChange(settings: RoutingPrefsSettings, change: RoutingPrefsChange): RoutingPrefs {
  const next = changeRoutingPrefs(loadRoutingPrefs(settings.getSetting(ROUTING_PREFS_SETTING)), change);
  settings.setSetting(ROUTING_PREFS_SETTING, JSON.stringify(next));
  return next;
}
