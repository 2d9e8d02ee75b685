// What the protocol clients (pcp-client.ts, natpmp-client.ts, upnp-client.ts) are asked for
// and what they hand back to the port mapper, the same for all three.

import type { EpochObservation } from "./natpmp.js";
import type { GatewayRoute, PortMapProblem, PortMapTransports } from "./port-mapping.js";

export interface MapRequest {
  readonly route: GatewayRoute;
  readonly internalPort: number; // the WireGuard port
  // The external port to ask for: the internal port at first, the one held when renewing.
  readonly suggestedExternalPort: number;
  readonly suggestedExternalAddress: string | null; // the one held when renewing (PCP)
  readonly lifetimeSeconds: number;
  readonly now: number; // monotonic ms when the request goes out
}

export interface MapGrant {
  readonly externalAddress: string; // IPv4
  readonly externalPort: number;
  readonly lifetimeSeconds: number; // granted (never 0)
  readonly epoch: EpochObservation | null; // NAT-PMP and PCP: the gateway's epoch in the answer
}

export interface MapFailure {
  readonly ok: false;
  readonly problem: PortMapProblem;
}

export type MapAttempt = { readonly ok: true; readonly grant: MapGrant } | MapFailure;

export const refused = (message: string): MapFailure => ({ ok: false, problem: { code: "refused", message } });
export const failed = (message: string): MapFailure => ({ ok: false, problem: { code: "failed", message } });

// The transports promise not to reject; this keeps a broken one from taking the mapper down.
export function exchange(transports: PortMapTransports, gateway: string, request: Uint8Array): Promise<Uint8Array | null> {
  return transports.gatewayExchange(gateway, request).catch(() => null);
}

// A public address we can hand to peers: dotted IPv4, not 0.0.0.0.
export function usableIpv4(address: string): boolean {
  return /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/.test(address) && address !== "0.0.0.0";
}
