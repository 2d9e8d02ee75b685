// PCP (RFC 6887) on the port mapper's transports: probe with ANNOUNCE, map and renew with
// MAP, delete with MAP and lifetime 0. One nonce per mapping, kept for its renewals and its
// deletion (§11.2: the server ties the mapping to it).

import { exchange, failed, refused, usableIpv4, type MapAttempt, type MapRequest } from "./grant.js";
import type { EpochObservation } from "./natpmp.js";
import { decodePcpResponse, encodePcpAnnounceRequest, encodePcpMapRequest, pcpAnswersMap, pcpResultName, PcpResult, type PcpMapRequest } from "./pcp.js";
import type { GatewayRoute, PortMapDeletion, PortMapTransports } from "./port-mapping.js";

// The gateway speaks PCP: any version-2 answer to ANNOUNCE counts, whatever its result code (a
// server that does not do ANNOUNCE still says so in PCP). Null: no PCP answer.
export async function probePcp(transports: PortMapTransports, route: GatewayRoute, now: number): Promise<EpochObservation | null> {
  const answer = await exchange(transports, route.gateway, encodePcpAnnounceRequest(route.localAddress));
  const response = answer === null ? null : decodePcpResponse(answer);
  return response?.kind === "announce" ? { epochSeconds: response.epochSeconds, atMs: now } : null;
}

export async function mapPcp(transports: PortMapTransports, request: MapRequest, nonce: Uint8Array): Promise<MapAttempt> {
  const map: PcpMapRequest = {
    clientAddress: request.route.localAddress,
    nonce,
    internalPort: request.internalPort,
    suggestedExternalPort: request.suggestedExternalPort,
    suggestedExternalAddress: request.suggestedExternalAddress,
    lifetimeSeconds: request.lifetimeSeconds,
  };
  const answer = await exchange(transports, request.route.gateway, encodePcpMapRequest(map));
  if (answer === null) return failed("PCP: no answer to the MAP request");
  const response = decodePcpResponse(answer);
  if (response?.kind === "unsupportedVersion") return refused(`PCP: the gateway speaks version ${response.version}, not 2`);
  if (response === null || !pcpAnswersMap(response, map)) return failed("PCP: the answer was not for this MAP request (format, nonce or port)");
  if (response.resultCode !== PcpResult.success) return refused(`PCP: ${pcpResultName(response.resultCode)}`);
  if (response.lifetimeSeconds === 0 || response.externalPort === 0 || !usableIpv4(response.externalAddress)) {
    return failed(`PCP: success without a usable mapping (${response.externalAddress}:${response.externalPort}, ${response.lifetimeSeconds} s)`);
  }
  return {
    ok: true,
    grant: {
      externalAddress: response.externalAddress,
      externalPort: response.externalPort,
      lifetimeSeconds: response.lifetimeSeconds,
      epoch: { epochSeconds: response.epochSeconds, atMs: request.now },
    },
  };
}

// §15: a MAP with lifetime 0 and the mapping's nonce deletes it; the suggested port and
// address are ignored.
export function pcpDeletion(route: GatewayRoute, internalPort: number, nonce: Uint8Array): PortMapDeletion {
  const request = encodePcpMapRequest({ clientAddress: route.localAddress, nonce, internalPort, suggestedExternalPort: 0, suggestedExternalAddress: null, lifetimeSeconds: 0 });
  return { protocol: "pcp", gateway: route.gateway, request };
}
