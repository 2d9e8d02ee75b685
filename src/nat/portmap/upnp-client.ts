// UPnP IGD on the port mapper's transports:
//   1. probe: SSDP M-SEARCH for the WAN connection services; the gateway answers with LOCATION
//   2. describe: GET LOCATION (on the gateway only), pick the service, its control URL
//   3. map: GetExternalIPAddress, then AddPortMapping (renewing is the same call: a mapping
//      for the same internal client is overwritten, WANIPConnection:1 §2.2.20)
//   4. delete: DeletePortMapping
// Every URL is checked to be http on the gateway's address before a request is made.

import type { RandomSource } from "../../wireguard/random-source.js";
import { failed, refused, usableIpv4, type MapAttempt, type MapFailure, type MapRequest } from "./grant.js";
import type { GatewayRoute, PortMapDeletion, PortMapTransports, UpnpHttpRequest, UpnpHttpResponse } from "./port-mapping.js";
import { decodeSsdpResponse, encodeSsdpSearch, WAN_SERVICE_TYPES } from "./ssdp.js";
import { readDescription, urlOnGateway, type UpnpControlPoint } from "./upnp-description.js";
import { decodeSoapAnswer, encodeAddPortMapping, encodeDeletePortMapping, encodeGetExternalIPAddress, UpnpError, type SoapCall } from "./upnp-soap.js";

export interface UpnpProbe {
  // The description's URL, or null when the gateway's answer pointed off the gateway.
  readonly location: string | null;
  readonly announced: string; // LOCATION as sent, for the problem message
}

// The gateway answered the search (null: it did not, or not in SSDP).
export async function probeUpnp(transports: PortMapTransports, route: GatewayRoute): Promise<UpnpProbe | null> {
  const answer = await transports.ssdpSearch(route.gateway, WAN_SERVICE_TYPES.map(encodeSsdpSearch)).catch(() => null);
  const response = answer === null ? null : decodeSsdpResponse(answer);
  if (response === null) return null;
  return { location: urlOnGateway(response.location, undefined, route.gateway), announced: response.location };
}

function http(transports: PortMapTransports, request: UpnpHttpRequest): Promise<UpnpHttpResponse | null> {
  return transports.upnpHttp(request).catch(() => null);
}

export type Description = { readonly ok: true; readonly control: UpnpControlPoint } | MapFailure;

export async function describeUpnp(transports: PortMapTransports, route: GatewayRoute, probe: UpnpProbe): Promise<Description> {
  if (probe.location === null) return refused(`UPnP: the description URL ${JSON.stringify(probe.announced.slice(0, 100))} is not http on the gateway ${route.gateway}`);
  const answer = await http(transports, { method: "GET", url: probe.location, headers: {} });
  if (answer === null) return failed("UPnP: no answer to the device description request");
  if (answer.status !== 200) return failed(`UPnP: HTTP ${answer.status} for the device description`);
  const reading = readDescription(answer.body, probe.location, route.gateway);
  return reading.ok ? { ok: true, control: reading.control } : refused(`UPnP: ${reading.problem}`);
}

function soapRequest(control: UpnpControlPoint, call: SoapCall): UpnpHttpRequest {
  return {
    method: "POST",
    url: control.controlUrl,
    headers: { "Content-Type": 'text/xml; charset="utf-8"', SOAPAction: call.soapAction },
    body: call.body,
  };
}

async function soap(transports: PortMapTransports, control: UpnpControlPoint, call: SoapCall, outArguments: readonly string[] = []) {
  const answer = await http(transports, soapRequest(control, call));
  if (answer === null) return { ok: false as const, errorCode: null, problem: `no answer to ${call.action}` };
  return decodeSoapAnswer(call, answer.status, answer.body, outArguments);
}

// Ports a router picks from when ours is taken (718): above the well-known range.
const FIRST_ALTERNATIVE_PORT = 1024;

export interface UpnpMapOptions {
  readonly description: string; // NewPortMappingDescription, shown in the router's UI
  readonly random: RandomSource;
}

export async function mapUpnp(transports: PortMapTransports, request: MapRequest, control: UpnpControlPoint, options: UpnpMapOptions): Promise<MapAttempt> {
  const address = await soap(transports, control, encodeGetExternalIPAddress(control.serviceType), ["NewExternalIPAddress"]);
  if (!address.ok) return address.errorCode === null ? failed(`UPnP: ${address.problem}`) : refused(`UPnP GetExternalIPAddress: ${address.problem}`);
  const externalAddress = address.values.get("NewExternalIPAddress") ?? "";
  if (!usableIpv4(externalAddress)) return failed(`UPnP: the gateway's public address is ${JSON.stringify(externalAddress.slice(0, 40))}`);

  let externalPort = request.suggestedExternalPort;
  let leaseSeconds = request.lifetimeSeconds;
  let portRetried = false;
  let leaseRetried = false;
  for (;;) {
    const call = encodeAddPortMapping(control.serviceType, {
      externalPort,
      internalPort: request.internalPort,
      internalClient: request.route.localAddress,
      description: options.description,
      leaseSeconds,
    });
    const added = await soap(transports, control, call);
    if (added.ok) break;
    if (added.errorCode === UpnpError.onlyPermanentLeasesSupported && !leaseRetried) {
      // IGD 1 routers that know no lease time: a permanent mapping, renewed (re-added) all the
      // same and deleted on stop(); if this node dies, it stays until the router reboots.
      leaseRetried = true;
      leaseSeconds = 0;
      continue;
    }
    if (added.errorCode === UpnpError.conflictInMappingEntry && !portRetried) {
      // Another host holds that external port: one more try on a random one.
      portRetried = true;
      const bytes = options.random.bytes(2);
      externalPort = FIRST_ALTERNATIVE_PORT + (((bytes[0]! << 8) | bytes[1]!) % (65536 - FIRST_ALTERNATIVE_PORT));
      continue;
    }
    return added.errorCode === null ? failed(`UPnP: ${added.problem}`) : refused(`UPnP AddPortMapping: ${added.problem}`);
  }
  // AddPortMapping does not echo a lifetime; a permanent lease is renewed on the same schedule.
  return { ok: true, grant: { externalAddress, externalPort, lifetimeSeconds: request.lifetimeSeconds, epoch: null } };
}

export function upnpDeletion(control: UpnpControlPoint, externalPort: number): PortMapDeletion {
  return { protocol: "upnp", request: soapRequest(control, encodeDeletePortMapping(control.serviceType, externalPort)) };
}
