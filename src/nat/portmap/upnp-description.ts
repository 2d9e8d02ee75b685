// From an Internet Gateway Device's description (UPnP Device Architecture §2.3) to the control
// URL of the service that maps ports — and the rule that keeps UPnP on the LAN: every URL we
// follow (the SSDP LOCATION, the control URL) must be plain http to the gateway's own address.
// A description can name any host; a router (or anything answering SSDP in its name) must not
// be able to send this node's requests elsewhere.
//
// Description layout, the parts read here (services sit inside nested devices):
//   <root xmlns="urn:schemas-upnp-org:device-1-0">
//     <URLBase>http://192.168.1.1:5000</URLBase>            (optional, UPnP 1.0 only)
//     <device> … <deviceList> … <serviceList>
//       <service>
//         <serviceType>urn:schemas-upnp-org:service:WANIPConnection:1</serviceType>
//         <controlURL>/ctl/IPConn</controlURL>                (relative to URLBase or LOCATION)
//       </service>

import { WAN_SERVICE_TYPES } from "./ssdp.js";
import { xmlElements, xmlText } from "./upnp-xml.js";

export interface UpnpControlPoint {
  readonly serviceType: string;
  readonly controlUrl: string; // absolute, http, on the gateway
}

// `text` resolved against `base`, if it is an http URL whose host is `gateway` (an IPv4
// address) and that carries no credentials; null otherwise (never throws).
export function urlOnGateway(text: string, base: string | undefined, gateway: string): string | null {
  let url: URL;
  try {
    url = base === undefined ? new URL(text) : new URL(text, base);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" || url.hostname !== gateway || url.username !== "" || url.password !== "") return null;
  return url.href;
}

export type DescriptionReading = { readonly ok: true; readonly control: UpnpControlPoint } | { readonly ok: false; readonly problem: string };

// The best WAN connection service of the description fetched from `location` (already checked
// with urlOnGateway), in the order of WAN_SERVICE_TYPES.
export function readDescription(xml: string, location: string, gateway: string): DescriptionReading {
  const services = xmlElements(xml, "service", 256).map((block) => ({ type: xmlText(block, "serviceType"), control: xmlText(block, "controlURL") }));
  const urlBase = xmlText(xml, "URLBase");
  const base = urlBase !== null && urlBase !== "" ? urlBase : location;
  for (const type of WAN_SERVICE_TYPES) {
    const service = services.find((candidate) => candidate.type === type && candidate.control !== null && candidate.control !== "");
    if (service === undefined) continue;
    const controlUrl = urlOnGateway(service.control!, base, gateway);
    if (controlUrl === null) return { ok: false, problem: `the ${type} control URL "${service.control}" is not on the gateway ${gateway}` };
    return { ok: true, control: { serviceType: type, controlUrl } };
  }
  return { ok: false, problem: services.length === 0 ? "the device description lists no services" : "the device description has no WANIPConnection or WANPPPConnection service" };
}
