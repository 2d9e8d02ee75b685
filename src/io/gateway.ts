// The default IPv4 gateway and this host's address toward it, for the port mapper: read from
// /proc/net/route and the interface addresses (os.networkInterfaces), no `ip route` to run.
// /proc/net is per network namespace, so a process inside a namespace sees that namespace's.
//
// /proc/net/route (linux/net/ipv4/fib_trie.c, fib_route_seq_show), one route a line after a
// header, tab-separated, addresses as the 32-bit value in host byte order, in hex:
//   Iface  Destination  Gateway   Flags  RefCnt  Use  Metric  Mask      MTU  Window  IRTT
//   eth0   00000000     0101A8C0  0003   0       0    0       00000000  0    0       0
// (on a little-endian host 0101A8C0 is 192.168.1.1). A default route has destination and mask
// 0; Flags has RTF_UP (0x1) and, through a router, RTF_GATEWAY (0x2).

import { readFile } from "node:fs/promises";
import { endianness, networkInterfaces, type NetworkInterfaceInfo } from "node:os";
import type { GatewayRoute } from "../nat/portmap/port-mapping.js";

const RTF_UP = 0x1;
const RTF_GATEWAY = 0x2;
const PROC_NET_ROUTE = "/proc/net/route";

export interface DefaultRoute {
  readonly interfaceName: string;
  readonly gateway: string;
  readonly metric: number;
}

// The usable default routes through a gateway, lowest metric first. Lines that are not routes
// are skipped: the file is the kernel's, but nothing here should throw on a surprise.
export function parseProcNetRoute(text: string, littleEndian = endianness() === "LE"): DefaultRoute[] {
  const routes: DefaultRoute[] = [];
  for (const line of text.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) continue;
    const [name, destination, gateway, flagsText, , , metricText, mask] = fields as [string, string, string, string, string, string, string, string];
    const flags = parseInt(flagsText, 16);
    if (destination !== "00000000" || mask !== "00000000" || (flags & (RTF_UP | RTF_GATEWAY)) !== (RTF_UP | RTF_GATEWAY)) continue;
    const address = hexToIpv4(gateway, littleEndian);
    if (address === null || address === "0.0.0.0") continue;
    routes.push({ interfaceName: name, gateway: address, metric: Number(metricText) || 0 });
  }
  return routes.sort((a, b) => a.metric - b.metric);
}

function hexToIpv4(hex: string, littleEndian: boolean): string | null {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return null;
  const bytes = [0, 2, 4, 6].map((at) => parseInt(hex.slice(at, at + 2), 16));
  return (littleEndian ? bytes.reverse() : bytes).join(".");
}

function ipv4Number(address: string): number {
  return address.split(".").reduce((value, octet) => value * 256 + Number(octet), 0);
}

// Whether `address` is inside the subnet of the interface address `info`.
function inSubnet(address: string, info: NetworkInterfaceInfo): boolean {
  const mask = ipv4Number(info.netmask);
  // Bitwise AND in 32-bit signed space; compare as unsigned.
  return ((ipv4Number(address) & mask) >>> 0) === ((ipv4Number(info.address) & mask) >>> 0);
}

type Interfaces = ReturnType<typeof networkInterfaces>;

// This host's IPv4 address on `interfaceName` toward `gateway`: the one whose subnet holds the
// gateway, else the interface's first (a gateway off-subnet, as point-to-point links have).
export function localAddressToward(gateway: string, interfaceName: string, interfaces: Interfaces = networkInterfaces()): string | null {
  const candidates = (interfaces[interfaceName] ?? []).filter((info) => info.family === "IPv4" && !info.internal);
  return (candidates.find((info) => inSubnet(gateway, info)) ?? candidates[0])?.address ?? null;
}

// Whether `address` (IPv4) is on a link of this host: inside the subnet of one of its own
// non-loopback IPv4 addresses. UPnP requests go only to such addresses.
export function isOnLink(address: string, interfaces: Interfaces = networkInterfaces()): boolean {
  if (!/^[0-9]{1,3}(\.[0-9]{1,3}){3}$/.test(address)) return false;
  return Object.values(interfaces).some((infos) => (infos ?? []).some((info) => info.family === "IPv4" && !info.internal && inSubnet(address, info)));
}

// The route the port mapper should use now, or null when there is no IPv4 default gateway.
export async function findGatewayRoute(): Promise<GatewayRoute | null> {
  let text: string;
  try {
    text = await readFile(PROC_NET_ROUTE, "utf8");
  } catch {
    return null; // not Linux, or /proc not mounted: no gateway we can name
  }
  const interfaces = networkInterfaces();
  for (const route of parseProcNetRoute(text)) {
    const localAddress = localAddressToward(route.gateway, route.interfaceName, interfaces);
    if (localAddress !== null) return { gateway: route.gateway, localAddress };
  }
  return null;
}
