// A peer's Endpoint (wg(8) CONFIGURATION FILE FORMAT): "an endpoint IP or hostname, followed by
// a colon, and then a port number" — 192.95.5.67:1234, [2607:5300:60:6b0::c05f:543]:2468,
// test.wireguard.com:18981. Names are not resolved here: resolving is I/O and belongs to the
// caller; this only checks that the text could be resolved.

import { formatIpAddress, parseIpAddress } from "./ip-prefix.js";

/** host: an IP literal in canonical text (no brackets) or a DNS name as written; port 1..65535. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

export type EndpointParse =
  | { readonly ok: true; readonly endpoint: Endpoint }
  | { readonly ok: false; readonly problem: string };

const MAX_PORT = 65535;
const MAX_HOST_NAME_CHARS = 253; // RFC 1035 section 2.3.4, without the final root label

export function parseEndpoint(text: string): EndpointParse {
  let hostText: string;
  let portText: string;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close === -1) return problem("no ']' closing the IPv6 address");
    hostText = text.slice(1, close);
    if (text[close + 1] !== ":") return problem("no ':port' after the ']'");
    portText = text.slice(close + 2);
    if (parseIpAddress(hostText)?.family !== 6) return problem(`"${hostText}" in brackets is not an IPv6 address`);
  } else {
    const colon = text.lastIndexOf(":");
    if (colon === -1) return problem("no ':port' at the end");
    hostText = text.slice(0, colon);
    portText = text.slice(colon + 1);
    // wg would split "2001:db8::1:51820" at the last colon, but that is a guess: is ":1" part
    // of the address? Brackets make it unambiguous (RFC 3986 section 3.2.2).
    if (hostText.includes(":")) return problem("an IPv6 address needs brackets, as in [2001:db8::1]:51820");
  }
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > MAX_PORT) {
    return problem(`port "${portText}" is not a number from 1 to ${MAX_PORT}`);
  }
  const port = Number(portText);
  const address = parseIpAddress(hostText);
  if (address !== null) return { ok: true, endpoint: { host: formatIpAddress(address), port } };
  if (!isHostName(hostText)) return problem(`"${hostText}" is neither an IP address nor a host name`);
  return { ok: true, endpoint: { host: hostText, port } };
}

/** "host:port", or "[v6]:port" for an IPv6 literal, as `wg showconf` prints it. */
export function formatEndpoint(endpoint: Endpoint): string {
  return endpoint.host.includes(":") ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`;
}

/**
 * A DNS name: dot-separated labels of letters, digits, '-' and '_' (seen in real names such as
 * SRV targets), no label empty, over 63 characters or starting or ending in '-' (RFC 1123
 * section 2.1), an optional final dot. A name whose last label is all digits is rejected:
 * RFC 3696 section 2 rules out numeric top-level labels, so "256.1.1.1" is a bad IPv4 address,
 * not a host.
 */
export function isHostName(text: string): boolean {
  const name = text.endsWith(".") ? text.slice(0, -1) : text;
  if (name.length === 0 || name.length > MAX_HOST_NAME_CHARS) return false;
  const labels = name.split(".");
  if (labels.every((label) => /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(label)) === false) return false;
  return !/^[0-9]+$/.test(labels[labels.length - 1] ?? "");
}

function problem(text: string): EndpointParse {
  return { ok: false, problem: text };
}

// "1.2.3.4:51820" or "[2001:db8::1]:51820": an IP literal and a port, the form `wg` sends over the UAPI
// (it resolves names itself) and the one netmaps carry.
export function parseIpEndpoint(value: string): Endpoint | null {
  const bracketed = /^\[([^\]]+)\]:([0-9]{1,5})$/.exec(value);
  const match = bracketed ?? /^([^:\[\]]+):([0-9]{1,5})$/.exec(value);
  if (match === null) return null;
  const address = parseIpAddress(match[1]!);
  const port = Number(match[2]);
  // Brackets are for IPv6 only, as in URLs (RFC 3986 §3.2.2).
  if (address === null || (bracketed !== null) !== (address.family === 6) || port < 1 || port > 65535) return null;
  return { host: formatIpAddress(address), port };
}
