// The port mapper's vocabulary: what it reports, and the three transports it is given. The
// transports are the whole of its I/O (src/io/portmap-*.ts implements them on node:dgram and
// node:http; tests use fakes), so everything that decides stays pure.

import type { Endpoint } from "../../net/endpoint.js";

export type PortMapProtocol = "pcp" | "natpmp" | "upnp";

// Preference order: PCP is NAT-PMP's successor and says which external address it mapped; both
// beat UPnP, which needs SSDP, HTTP and XML and renders its mapping less predictably.
export const PORT_MAP_PROTOCOLS: readonly PortMapProtocol[] = ["pcp", "natpmp", "upnp"];

// Where the requests go: the default IPv4 gateway and this host's address toward it (the
// internal client of the mapping; PCP also checks it against the packet's source address).
export interface GatewayRoute {
  readonly gateway: string;
  readonly localAddress: string;
}

export interface PortMapping {
  readonly protocol: PortMapProtocol;
  readonly externalEndpoint: Endpoint; // the gateway's public address and the mapped port
  readonly expiresAt: number; // monotonic ms, the clock `now` comes from
}

// Why there is no mapping:
//   no-gateway   no default IPv4 route
//   unanswered   no protocol answered at the gateway
//   refused      the gateway answered, and said no (result code, UPnP fault)
//   failed       the gateway answered a probe, then nothing usable (silence, bad answer)
//   stopped      stop() was called
export type PortMapProblemCode = "no-gateway" | "unanswered" | "refused" | "failed" | "stopped";

export interface PortMapProblem {
  readonly code: PortMapProblemCode;
  readonly message: string; // for logs and `meshgate netcheck`, naming protocol and code
}

// Which protocols answered at the gateway on the last check: netcheck's
// `portMapping: {"upnp": …, "natpmp": …, "pcp": …}`.
export interface PortMapAnswers {
  readonly upnp: boolean;
  readonly natpmp: boolean;
  readonly pcp: boolean;
}

export interface PortMapStatus {
  readonly mapping: PortMapping | null;
  readonly problem: PortMapProblem | null; // null exactly when there is a mapping
  readonly answered: PortMapAnswers;
}

export interface UpnpHttpRequest {
  readonly method: "GET" | "POST";
  readonly url: string; // absolute http URL whose host is the gateway (checked before it gets here)
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface UpnpHttpResponse {
  readonly status: number;
  readonly body: string; // UTF-8 text, bounded by the transport
}

// The I/O the port mapper is given. None of them rejects: every failure (no answer in time, an
// answer too large, a socket error) is null, and the mapper treats null as silence.
export interface PortMapTransports {
  // NAT-PMP and PCP: sends `request` to gateway:5351 (retransmitting as RFC 6886 §3.1 says)
  // and resolves with the first datagram that comes back from gateway:5351, or null.
  gatewayExchange(gateway: string, request: Uint8Array): Promise<Uint8Array | null>;
  // SSDP: sends each M-SEARCH to 239.255.255.250:1900 and to gateway:1900, and resolves with
  // the first datagram that comes back from the gateway's address, or null.
  ssdpSearch(gateway: string, searches: readonly Uint8Array[]): Promise<Uint8Array | null>;
  // UPnP: one HTTP request to the gateway; no redirects are followed.
  upnpHttp(request: UpnpHttpRequest): Promise<UpnpHttpResponse | null>;
}

// A deletion stop() hands back: the request that removes the mapping at the gateway, to be sent
// with the same transports (sendDeletions does) before the process exits.
export type PortMapDeletion =
  | { readonly protocol: "pcp" | "natpmp"; readonly gateway: string; readonly request: Uint8Array }
  | { readonly protocol: "upnp"; readonly request: UpnpHttpRequest };

// Sends the deletions and waits for their answers (or the transports' timeouts). Best effort:
// a mapping whose deletion is lost expires on its own within its lifetime (2 h).
export async function sendDeletions(transports: PortMapTransports, deletions: readonly PortMapDeletion[]): Promise<void> {
  await Promise.all(
    deletions.map((deletion) =>
      (deletion.protocol === "upnp" ? transports.upnpHttp(deletion.request) : transports.gatewayExchange(deletion.gateway, deletion.request)).catch(() => null),
    ),
  );
}
