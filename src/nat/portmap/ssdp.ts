// SSDP discovery (UPnP Device Architecture 1.1 §1.3): an M-SEARCH datagram to
// 239.255.255.250:1900 asks for a service type; an Internet Gateway Device answers, unicast,
// with an HTTP-like response whose LOCATION header is the URL of its device description.
// The decoder never throws on network input.

export const SSDP_MULTICAST_ADDRESS = "239.255.255.250";
export const SSDP_PORT = 1900;

// The services that can map a port, best first: WANIPConnection:2 (IGD 2) and :1 (IGD 1), or
// WANPPPConnection:1 on routers that dial PPPoE themselves. A v2 service also answers a search
// for :1 (UDA §1.3.2: a device answers for every version it is compatible with).
export const WAN_SERVICE_TYPES = [
  "urn:schemas-upnp-org:service:WANIPConnection:2",
  "urn:schemas-upnp-org:service:WANIPConnection:1",
  "urn:schemas-upnp-org:service:WANPPPConnection:1",
] as const;

// UDA §1.3.2: MX is how long (seconds) a device may wait at random before answering, so a
// multicast search does not make every device answer at once. 2 s matches the probe's wait
// and what miniupnpc sends.
const MX_SECONDS = 2;

// M-SEARCH request (UDA §1.3.2), an HTTP request line and headers over UDP, CRLF-separated:
//   M-SEARCH * HTTP/1.1
//   HOST: 239.255.255.250:1900
//   MAN: "ssdp:discover"
//   MX: 2
//   ST: <search target>
//   (empty line)
export function encodeSsdpSearch(searchTarget: string): Uint8Array {
  const text = ["M-SEARCH * HTTP/1.1", `HOST: ${SSDP_MULTICAST_ADDRESS}:${SSDP_PORT}`, 'MAN: "ssdp:discover"', `MX: ${MX_SECONDS}`, `ST: ${searchTarget}`, "", ""].join("\r\n");
  return new TextEncoder().encode(text);
}

export interface SsdpResponse {
  readonly location: string; // as sent; the caller decides whether to follow it
  readonly searchTarget: string | null; // ST
  readonly server: string | null; // SERVER: the OS and UPnP stack, for diagnostics
}

const MAX_SSDP_BYTES = 8192; // a real answer is ~300 bytes; past this it is not one

// Search response (UDA §1.3.3):
//   HTTP/1.1 200 OK
//   CACHE-CONTROL: max-age=120
//   ST: urn:schemas-upnp-org:service:WANIPConnection:1
//   USN: uuid:…::urn:schemas-upnp-org:service:WANIPConnection:1
//   EXT:
//   SERVER: Debian/12 UPnP/1.1 MiniUPnPd/2.3.1
//   LOCATION: http://192.168.1.1:5000/rootDesc.xml
// Header names are case-insensitive. NOTIFY announcements and other requests are not answers.
export function decodeSsdpResponse(bytes: Uint8Array): SsdpResponse | null {
  if (bytes.length === 0 || bytes.length > MAX_SSDP_BYTES) return null;
  const lines = new TextDecoder("utf-8", { fatal: false }).decode(bytes).split(/\r?\n/);
  if (!/^HTTP\/1\.[01] 200\b/i.test(lines[0] ?? "")) return null;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    if (line === "") break;
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const location = headers.get("location");
  if (location === undefined || location === "") return null;
  return { location, searchTarget: headers.get("st") ?? null, server: headers.get("server") ?? null };
}
