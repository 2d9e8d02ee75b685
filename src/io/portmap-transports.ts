// The port mapper's transports as one object (src/nat/portmap/port-mapping.ts): NAT-PMP/PCP
// and SSDP on node:dgram (portmap-udp.ts), UPnP's HTTP on node:http (portmap-http.ts).

import type { PortMapTransports } from "../nat/portmap/port-mapping.js";
import { createUpnpHttp, type UpnpHttpOptions } from "./portmap-http.js";
import { createGatewayExchange, createSsdpSearch, type GatewayExchangeOptions, type SsdpSearchOptions } from "./portmap-udp.js";

export interface PortMapTransportOptions {
  readonly exchange?: GatewayExchangeOptions;
  readonly ssdp?: SsdpSearchOptions;
  readonly http?: UpnpHttpOptions;
}

export function createPortMapTransports(options: PortMapTransportOptions = {}): PortMapTransports {
  return {
    gatewayExchange: createGatewayExchange(options.exchange),
    ssdpSearch: createSsdpSearch(options.ssdp),
    upnpHttp: createUpnpHttp(options.http),
  };
}
