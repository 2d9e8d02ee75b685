// Subnet routes as people write them and as the mesh carries them.
//
// A node advertises routes with `--advertise-routes 192.168.1.0/24,10.0.0.0/16` and, for a LAN
// whose prefix another home also uses, `192.168.1.0/24=10.77.1.0/24`: the LAN is 192.168.1.0/24,
// the mesh reaches it as 10.77.1.0/24, and the router translates one to the other 1:1. The mesh
// (report, netmap, approval) only ever sees the mesh-facing prefix; the LAN prefix stays on the
// router. An exit node advertises the two default routes, as Tailscale does.

import { formatIpPrefix, parseIpPrefix, parseInterfaceAddress, type IpPrefix } from "./ip-prefix.js";

export const EXIT_ROUTES: readonly string[] = ["0.0.0.0/0", "::/0"];

export const isExitRoute = (prefix: string): boolean => EXIT_ROUTES.includes(prefix);

// More than a home router needs, few enough that a report stays small.
export const MAX_ADVERTISED_ROUTES = 64;

export interface AdvertisedRoute {
  readonly prefix: IpPrefix; // what the mesh routes to this node
  readonly lan: IpPrefix; // what it is on the LAN: the same prefix unless translated
}

export class RouteSpecError extends Error {
  override readonly name = "RouteSpecError";
}

export const isTranslated = (route: AdvertisedRoute): boolean => formatIpPrefix(route.prefix) !== formatIpPrefix(route.lan);

/** Whether every address of `inner` is in `outer`. */
export function prefixContains(outer: IpPrefix, inner: IpPrefix): boolean {
  if (outer.family !== inner.family || outer.cidr > inner.cidr) return false;
  for (let bit = 0; bit < outer.cidr; bit++) {
    const mask = 0x80 >> (bit & 7);
    if ((outer.address[bit >> 3]! & mask) !== (inner.address[bit >> 3]! & mask)) return false;
  }
  return true;
}

export const prefixesOverlap = (a: IpPrefix, b: IpPrefix): boolean => prefixContains(a, b) || prefixContains(b, a);

// Ranges no subnet route may cover: they are the host's own or not routable at all.
const RESERVED: readonly [string, string][] = [
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local"],
  ["224.0.0.0/4", "multicast"],
  ["255.255.255.255/32", "broadcast"],
  ["::1/128", "loopback"],
  ["fe80::/10", "link-local"],
  ["ff00::/8", "multicast"],
].map(([text, what]) => [text!, what!]);

/**
 * One route prefix as a person typed it: canonical (no host bits), not a default route (that is
 * an exit node), not reserved and not inside the mesh's own ranges. Throws RouteSpecError naming
 * the text and the fix.
 */
export function parseRoutePrefix(text: string, meshRanges: readonly IpPrefix[] = []): IpPrefix {
  const given = parseInterfaceAddress(text);
  if (given === null || !text.includes("/")) throw new RouteSpecError(`"${text}" is not a CIDR prefix (e.g. 192.168.1.0/24 or fd12:3456::/64)`);
  const prefix = parseIpPrefix(text)!;
  const canonical = formatIpPrefix(prefix);
  if (canonical !== text) {
    const sameBits = formatIpPrefix(given) === canonical;
    throw new RouteSpecError(sameBits ? `"${text}" is written unusually: write it as ${canonical}` : `"${text}" has host bits set: did you mean ${canonical}?`);
  }
  if (prefix.cidr === 0) throw new RouteSpecError(`"${text}" is a default route: use --advertise-exit-node to offer this node as an exit node`);
  for (const [reservedText, what] of RESERVED) {
    const reserved = parseIpPrefix(reservedText)!;
    if (prefixesOverlap(prefix, reserved)) throw new RouteSpecError(`"${text}" overlaps ${reservedText} (${what}), which cannot be routed`);
  }
  for (const range of meshRanges) {
    if (prefixesOverlap(prefix, range)) throw new RouteSpecError(`"${text}" overlaps the mesh's own addresses ${formatIpPrefix(range)}`);
  }
  return prefix;
}

/**
 * `--advertise-routes` text: comma-separated "LAN" or "LAN=MESH" prefixes ("" advertises none).
 * A translated pair must have one family and one length (the translation is 1:1); no two
 * mesh-facing prefixes may overlap.
 */
export function parseAdvertisedRoutes(text: string, meshRanges: readonly IpPrefix[] = []): AdvertisedRoute[] {
  if (text.trim() === "") return [];
  const routes: AdvertisedRoute[] = [];
  for (const item of text.split(",").map((part) => part.trim())) {
    const [lanText, meshText, extra] = item.split("=");
    if (extra !== undefined || lanText === undefined) throw new RouteSpecError(`"${item}" is not LAN or LAN=MESH (e.g. 192.168.1.0/24=10.77.1.0/24)`);
    const lan = parseRoutePrefix(lanText, meshText === undefined ? meshRanges : []);
    const prefix = meshText === undefined ? lan : parseRoutePrefix(meshText, meshRanges);
    if (prefix.family !== lan.family || prefix.cidr !== lan.cidr) {
      throw new RouteSpecError(`"${item}": a translated prefix must be the same size and family as the LAN (${lanText} is /${lan.cidr}, ${meshText} is /${prefix.cidr})`);
    }
    const clash = routes.find((route) => prefixesOverlap(route.prefix, prefix));
    if (clash !== undefined) throw new RouteSpecError(`"${item}" overlaps ${formatIpPrefix(clash.prefix)}, advertised in the same list`);
    routes.push({ prefix, lan });
  }
  if (routes.length > MAX_ADVERTISED_ROUTES) throw new RouteSpecError(`at most ${MAX_ADVERTISED_ROUTES} routes can be advertised (got ${routes.length})`);
  return routes;
}

/** The mesh-facing prefixes a node reports: its subnet routes, then the exit routes if it offers to be one. */
export function reportedRoutes(routes: readonly AdvertisedRoute[], exitNode: boolean): string[] {
  return [...routes.map((route) => formatIpPrefix(route.prefix)), ...(exitNode ? EXIT_ROUTES : [])];
}
