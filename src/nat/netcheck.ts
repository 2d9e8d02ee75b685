// What `meshgate netcheck` reports, computed from what the probes learned (pure: the probes
// themselves — STUN rounds, port-mapping checks, relay round trips — are run elsewhere).
//
//   udp                          some STUN server answered: UDP gets out and back
//   ipv4, ipv6                   a STUN server of that family answered
//   mappedEndpoint               our public endpoint as the first answering IPv4 server saw it
//                                (IPv6 when no IPv4 server answered), "host:port"
//   mappingVariesByDestination   two servers of one family saw different endpoints (the NAT
//                                maps per destination: "symmetric"); null when no family has
//                                two answers. IPv4 and IPv6 are never compared to each other.
//   portMapping                  {upnp, natpmp, pcp}: a gateway protocol answered (true), did
//                                not (false), was not tried (null); null when none was checked
//   relays                       [{url, rttMs}] as measured, in the order given; rttMs null
//                                when the relay did not answer
//
// A coordinator answers STUN on two ports of one address, so comparing its two answers detects
// a NAT whose mapping changes with the destination port (which is what symmetric NATs do, and
// what `masquerade random` does); a NAT that changes it only with the destination address
// needs two STUN hosts to show.

import { formatEndpoint, type Endpoint } from "../net/endpoint.js";
import { parseIpAddress } from "../net/ip-prefix.js";
import type { StunProbeResult } from "./stun-client.js";

export interface PortMappingSupport {
  readonly upnp: boolean | null;
  readonly natpmp: boolean | null;
  readonly pcp: boolean | null;
}

export interface RelayLatency {
  readonly url: string;
  readonly rttMs: number | null;
}

export interface NetcheckInputs {
  readonly stun: StunProbeResult | null;
  readonly portMapping?: PortMappingSupport | null;
  readonly relays?: readonly RelayLatency[];
}

// The JSON `meshgate netcheck --json` prints.
export interface NetcheckReport {
  readonly udp: boolean;
  readonly ipv4: boolean;
  readonly ipv6: boolean;
  readonly mappedEndpoint: string | null;
  readonly mappingVariesByDestination: boolean | null;
  readonly portMapping: PortMappingSupport | null;
  readonly relays: readonly RelayLatency[];
}

export function buildNetcheckReport(inputs: NetcheckInputs): NetcheckReport {
  const mappedByFamily: Record<4 | 6, Endpoint[]> = { 4: [], 6: [] };
  for (const server of inputs.stun?.servers ?? []) {
    const family = parseIpAddress(server.server.host)?.family;
    if (server.state === "mapped" && family !== undefined) mappedByFamily[family].push(server.mapped);
  }
  const comparable = [mappedByFamily[4], mappedByFamily[6]].filter((mapped) => mapped.length >= 2);
  const first = mappedByFamily[4][0] ?? mappedByFamily[6][0];
  return {
    udp: mappedByFamily[4].length + mappedByFamily[6].length > 0,
    ipv4: mappedByFamily[4].length > 0,
    ipv6: mappedByFamily[6].length > 0,
    mappedEndpoint: first === undefined ? null : formatEndpoint(first),
    mappingVariesByDestination: comparable.length === 0 ? null : comparable.some((mapped) => mapped.some((endpoint) => formatEndpoint(endpoint) !== formatEndpoint(mapped[0]!))),
    portMapping: inputs.portMapping ?? null,
    relays: (inputs.relays ?? []).map((relay) => ({ url: relay.url, rttMs: relay.rttMs })),
  };
}

const yesNo = (value: boolean): string => (value ? "yes" : "no");

// The report for people: one aligned line per fact, with what it means for connections.
export function formatNetcheckReport(report: NetcheckReport): string {
  const lines: [string, string][] = [
    ["UDP", report.udp ? "yes" : "no — no STUN server answered: peers will be reached through a relay"],
    ["IPv4", yesNo(report.ipv4)],
    ["IPv6", yesNo(report.ipv6)],
    ["public endpoint", report.mappedEndpoint ?? "unknown"],
    ["mapping varies", mappingText(report.mappingVariesByDestination)],
    ["port mapping", portMappingText(report.portMapping)],
  ];
  if (report.relays.length === 0) lines.push(["relays", "none measured"]);
  for (const [index, relay] of report.relays.entries()) {
    lines.push([index === 0 ? "relays" : "", `${relay.url}  ${relay.rttMs === null ? "no answer" : `${Math.round(relay.rttMs)} ms`}`]);
  }
  const width = Math.max(...lines.map(([label]) => label.length));
  return lines.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join("\n");
}

function mappingText(varies: boolean | null): string {
  if (varies === null) return "unknown (fewer than two STUN servers of one family answered)";
  return varies
    ? "yes — the NAT picks a new public port per destination (symmetric): direct paths need the other side to be reachable, or a port mapping"
    : "no — one public endpoint for every destination: peers can punch through to it";
}

function portMappingText(support: PortMappingSupport | null): string {
  if (support === null) return "not checked";
  const named = [["UPnP", support.upnp], ["NAT-PMP", support.natpmp], ["PCP", support.pcp]] as const;
  const tried = named.filter(([, value]) => value !== null);
  if (tried.length === 0) return "not checked";
  const available = tried.filter(([, value]) => value === true).map(([name]) => name);
  return available.length > 0 ? available.join(", ") : `none (${tried.map(([name]) => name).join(", ")} tried)`;
}
