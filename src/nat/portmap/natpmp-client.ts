// NAT-PMP (RFC 6886) on the port mapper's transports: probe with the external address request
// (which also gives the public address a UDP mapping answer does not carry), map and renew
// with a UDP map request, delete with lifetime 0.

import { exchange, failed, refused, usableIpv4, type MapAttempt, type MapRequest } from "./grant.js";
import {
  decodeNatPmpResponse,
  encodeNatPmpDeleteRequest,
  encodeNatPmpExternalAddressRequest,
  encodeNatPmpMapRequest,
  NATPMP_OP_EXTERNAL_ADDRESS,
  NATPMP_OP_MAP_UDP,
  natPmpResultName,
  type EpochObservation,
} from "./natpmp.js";
import type { GatewayRoute, PortMapDeletion, PortMapTransports } from "./port-mapping.js";

export interface NatPmpProbe {
  readonly epoch: EpochObservation;
  // The public address, or why the gateway could not say (result code 3: it has none).
  readonly externalAddress: { readonly ok: true; readonly address: string } | { readonly ok: false; readonly problem: string };
}

// Any NAT-PMP answer to the external address request counts as "answered"; null when none.
export async function probeNatPmp(transports: PortMapTransports, route: GatewayRoute, now: number): Promise<NatPmpProbe | null> {
  const answer = await exchange(transports, route.gateway, encodeNatPmpExternalAddressRequest());
  const response = answer === null ? null : decodeNatPmpResponse(answer);
  if (response === null) return null;
  const epoch = { epochSeconds: response.epochSeconds, atMs: now };
  if (response.kind === "externalAddress") {
    return usableIpv4(response.address)
      ? { epoch, externalAddress: { ok: true, address: response.address } }
      : { epoch, externalAddress: { ok: false, problem: `NAT-PMP: the gateway's public address is ${response.address}` } };
  }
  if (response.kind === "failure" && response.requestOpcode === NATPMP_OP_EXTERNAL_ADDRESS) {
    return { epoch, externalAddress: { ok: false, problem: `NAT-PMP: ${natPmpResultName(response.resultCode)}` } };
  }
  return null;
}

// Maps with the public address a probe gave (a map answer does not carry it).
export async function mapNatPmp(transports: PortMapTransports, request: MapRequest, externalAddress: string): Promise<MapAttempt> {
  const message = encodeNatPmpMapRequest(request.internalPort, request.suggestedExternalPort, request.lifetimeSeconds);
  const answer = await exchange(transports, request.route.gateway, message);
  if (answer === null) return failed("NAT-PMP: no answer to the map request");
  const response = decodeNatPmpResponse(answer);
  if (response?.kind === "failure" && response.requestOpcode === NATPMP_OP_MAP_UDP) return refused(`NAT-PMP: ${natPmpResultName(response.resultCode)}`);
  if (response?.kind !== "mapping" || response.protocol !== "udp" || response.internalPort !== request.internalPort) {
    return failed("NAT-PMP: the answer was not for this map request");
  }
  if (response.lifetimeSeconds === 0 || response.externalPort === 0) return failed("NAT-PMP: success without a mapping (lifetime or port 0)");
  return {
    ok: true,
    grant: {
      externalAddress,
      externalPort: response.externalPort,
      lifetimeSeconds: response.lifetimeSeconds,
      epoch: { epochSeconds: response.epochSeconds, atMs: request.now },
    },
  };
}

export function natPmpDeletion(route: GatewayRoute, internalPort: number): PortMapDeletion {
  return { protocol: "natpmp", gateway: route.gateway, request: encodeNatPmpDeleteRequest(internalPort) };
}
