// A home gateway in memory that speaks PCP, NAT-PMP and UPnP IGD the way miniupnpd does (its
// answers are built from the captured ones in miniupnpd-answers.ts), behind the port mapper's
// transports. Each protocol can be turned off (silent), made to refuse, or the gateway
// "rebooted"; every request it answers is logged in a short readable form for the tests to
// check, and every request it receives is counted.

import type { PortMapTransports, UpnpHttpRequest, UpnpHttpResponse } from "../../../src/nat/portmap/port-mapping.js";
import { xmlText } from "../../../src/nat/portmap/upnp-xml.js";
import { ADD_PORT_MAPPING_ANSWER, DELETE_PORT_MAPPING_ANSWER, GET_EXTERNAL_IP_ANSWER, ROOT_DESCRIPTION } from "./miniupnpd-answers.js";

export const GATEWAY = "192.168.1.1";
export const LOCAL_ADDRESS = "192.168.1.2";
export const ROUTE = { gateway: GATEWAY, localAddress: LOCAL_ADDRESS } as const;
const LOCATION = "http://192.168.1.1:33437/rootDesc.xml";
const CONTROL_PATH = "/ctl/IPConn";

export interface FakeMapping {
  readonly protocol: "pcp" | "natpmp" | "upnp";
  readonly internalPort: number;
  readonly client: string;
  lifetimeSeconds: number;
  readonly nonce?: string; // PCP, hex
}

export interface FakeGateway {
  readonly transports: PortMapTransports;
  readonly log: string[]; // what it answered
  requests: number; // every request it received, answered or not
  // Mappings by external port.
  readonly mappings: Map<number, FakeMapping>;
  // Which protocols answer at all.
  readonly answers: { pcp: boolean; natpmp: boolean; upnp: boolean };
  externalAddress: string;
  epochSeconds: number;
  // PCP MAP result code; NAT-PMP map and address result codes; the UPnP faults to answer the
  // next AddPortMapping calls with (consumed one per call).
  pcpResult: number;
  natPmpMapResult: number;
  natPmpAddressResult: number;
  readonly upnpFaults: number[];
  location: string; // what SSDP announces
  controlUrl: string; // what the description names
  maxLifetimeSeconds: number;
  // Loses every mapping and restarts its epoch, as a reboot does.
  reboot(): void;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

export function createFakeGateway(): FakeGateway {
  const gateway: FakeGateway = {
    transports: null!,
    log: [],
    requests: 0,
    mappings: new Map(),
    answers: { pcp: true, natpmp: true, upnp: true },
    externalAddress: "11.0.0.11",
    epochSeconds: 1000,
    pcpResult: 0,
    natPmpMapResult: 0,
    natPmpAddressResult: 0,
    upnpFaults: [],
    location: LOCATION,
    controlUrl: CONTROL_PATH,
    maxLifetimeSeconds: 86_400,
    reboot() {
      gateway.mappings.clear();
      gateway.epochSeconds = 0;
    },
  };

  // The external port for a request: the suggested one if free (or already this client's), else
  // the next free one, as miniupnpd does.
  const externalPortFor = (suggested: number, client: string, internalPort: number): number => {
    let port = suggested;
    for (;;) {
      const holder = gateway.mappings.get(port);
      if (holder === undefined || (holder.client === client && holder.internalPort === internalPort)) return port;
      port = port === 65535 ? 1024 : port + 1;
    }
  };

  const pcp = (request: Uint8Array): Uint8Array | null => {
    const view = new DataView(request.buffer, request.byteOffset, request.byteLength);
    const opcode = request[1]! & 0x7f;
    const client = `${request[20]}.${request[21]}.${request[22]}.${request[23]}`;
    const answer = new Uint8Array(request.length);
    answer.set(request);
    answer[1] = request[1]! | 0x80;
    answer.fill(0, 2, 24);
    new DataView(answer.buffer).setUint32(8, gateway.epochSeconds);
    if (opcode === 0) {
      gateway.log.push("pcp announce");
      return answer;
    }
    const nonce = hex(request.subarray(24, 36));
    const internalPort = view.getUint16(40);
    const suggested = view.getUint16(42);
    const lifetime = view.getUint32(4);
    gateway.log.push(`pcp map ${internalPort}→${suggested} ${lifetime}s nonce ${nonce}`);
    answer[3] = gateway.pcpResult;
    if (gateway.pcpResult !== 0) return answer;
    const answerView = new DataView(answer.buffer);
    if (lifetime === 0) {
      for (const [port, mapping] of gateway.mappings) if (mapping.protocol === "pcp" && mapping.nonce === nonce) gateway.mappings.delete(port);
      return answer;
    }
    const port = externalPortFor(suggested || internalPort, client, internalPort);
    const granted = Math.min(lifetime, gateway.maxLifetimeSeconds);
    gateway.mappings.set(port, { protocol: "pcp", internalPort, client, lifetimeSeconds: granted, nonce });
    answerView.setUint32(4, granted);
    answerView.setUint16(42, port);
    answer.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...gateway.externalAddress.split(".").map(Number)], 44);
    return answer;
  };

  const natPmp = (request: Uint8Array): Uint8Array | null => {
    const view = new DataView(request.buffer, request.byteOffset, request.byteLength);
    if (request[1] === 0) {
      gateway.log.push("natpmp address");
      const answer = new Uint8Array(12);
      const answerView = new DataView(answer.buffer);
      answer[1] = 128;
      answerView.setUint16(2, gateway.natPmpAddressResult);
      answerView.setUint32(4, gateway.epochSeconds);
      answer.set(gateway.externalAddress.split(".").map(Number), 8);
      return answer;
    }
    const internalPort = view.getUint16(4);
    const suggested = view.getUint16(6);
    const lifetime = view.getUint32(8);
    gateway.log.push(`natpmp map ${internalPort}→${suggested} ${lifetime}s`);
    const answer = new Uint8Array(16);
    const answerView = new DataView(answer.buffer);
    answer[1] = 129;
    answerView.setUint16(2, gateway.natPmpMapResult);
    answerView.setUint32(4, gateway.epochSeconds);
    answerView.setUint16(8, internalPort);
    if (gateway.natPmpMapResult !== 0) return answer;
    if (lifetime === 0) {
      for (const [port, mapping] of gateway.mappings) if (mapping.protocol === "natpmp" && mapping.internalPort === internalPort && mapping.client === LOCAL_ADDRESS) gateway.mappings.delete(port);
      return answer;
    }
    const port = externalPortFor(suggested || internalPort, LOCAL_ADDRESS, internalPort);
    const granted = Math.min(lifetime, gateway.maxLifetimeSeconds);
    gateway.mappings.set(port, { protocol: "natpmp", internalPort, client: LOCAL_ADDRESS, lifetimeSeconds: granted });
    answerView.setUint16(10, port);
    answerView.setUint32(12, granted);
    return answer;
  };

  const fault = (code: number): UpnpHttpResponse => ({
    status: 500,
    body: `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>${code}</errorCode><errorDescription>fault ${code}</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>`,
  });

  const upnpHttp = (request: UpnpHttpRequest): UpnpHttpResponse | null => {
    const url = new URL(request.url);
    if (url.hostname !== GATEWAY) {
      gateway.log.push(`http to ${url.host} (off the gateway!)`);
      return null;
    }
    if (request.method === "GET") {
      gateway.log.push(`GET ${url.pathname}`);
      if (request.url !== gateway.location) return { status: 404, body: "" };
      return { status: 200, body: ROOT_DESCRIPTION.replace("<controlURL>/ctl/IPConn</controlURL>", `<controlURL>${gateway.controlUrl}</controlURL>`) };
    }
    const action = /#(\w+)"$/.exec(request.headers.SOAPAction ?? "")?.[1] ?? "?";
    const body = request.body ?? "";
    const port = Number(xmlText(body, "NewExternalPort"));
    if (action === "GetExternalIPAddress") {
      gateway.log.push("upnp GetExternalIPAddress");
      return { status: 200, body: GET_EXTERNAL_IP_ANSWER.replace("11.0.0.11", gateway.externalAddress) };
    }
    if (action === "AddPortMapping") {
      const lease = Number(xmlText(body, "NewLeaseDuration"));
      gateway.log.push(`upnp AddPortMapping ${xmlText(body, "NewInternalPort")}→${port} ${lease}s ${xmlText(body, "NewPortMappingDescription")}`);
      const code = gateway.upnpFaults.shift();
      if (code !== undefined) return fault(code);
      gateway.mappings.set(port, { protocol: "upnp", internalPort: Number(xmlText(body, "NewInternalPort")), client: xmlText(body, "NewInternalClient")!, lifetimeSeconds: lease });
      return { status: 200, body: ADD_PORT_MAPPING_ANSWER };
    }
    if (action === "DeletePortMapping") {
      gateway.log.push(`upnp DeletePortMapping ${port}`);
      if (!gateway.mappings.delete(port)) return fault(714);
      return { status: 200, body: DELETE_PORT_MAPPING_ANSWER };
    }
    return fault(401);
  };

  const transports: PortMapTransports = {
    async gatewayExchange(to, request) {
      gateway.requests++;
      if (to !== GATEWAY) return null;
      if (request[0] === 2) {
        if (gateway.answers.pcp) return pcp(request);
        // A NAT-PMP-only gateway answers PCP with "unsupported version" (RFC 6887 §9).
        return gateway.answers.natpmp ? Uint8Array.of(0, 128 + request[1]!, 0, 1, 0, 0, 0, 0) : null;
      }
      return request[0] === 0 && gateway.answers.natpmp ? natPmp(request) : null;
    },
    async ssdpSearch(to, searches) {
      gateway.requests++;
      if (to !== GATEWAY || searches.length === 0 || !gateway.answers.upnp) return null;
      gateway.log.push("ssdp search");
      return new TextEncoder().encode(`HTTP/1.1 200 OK\r\nST: urn:schemas-upnp-org:service:WANIPConnection:1\r\nLOCATION: ${gateway.location}\r\n\r\n`);
    },
    async upnpHttp(request) {
      gateway.requests++;
      return gateway.answers.upnp ? upnpHttp(request) : null;
    },
  };
  return Object.assign(gateway, { transports });
}
