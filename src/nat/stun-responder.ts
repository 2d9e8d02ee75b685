// What a STUN server answers (pure; src/io/stun-server.ts owns the sockets): a Binding request
// gets a success response telling the requester the endpoint its datagram came from, in
// XOR-MAPPED-ADDRESS (RFC 8489 §7.3.1); anything else is dropped with a reason the server
// counts. Work per datagram is bounded: at most STUN_MAX_REQUEST_BYTES are looked at, once.
//
// The answer carries no SOFTWARE: a 20-byte request already earns a 40-byte answer (52 for
// IPv6), and a server that answers spoofed sources should amplify as little as it can.

import type { Endpoint } from "../net/endpoint.js";
import { formatIpAddress, parseIpAddress } from "../net/ip-prefix.js";
import { classifyDatagram } from "./demux.js";
import { decodeStunMessage, encodeBindingSuccess, STUN_BINDING_REQUEST } from "./stun.js";

// A Binding request is 20 bytes plus a few attributes (ICE's are ~100 bytes in all); nothing
// a client sends needs more than the IPv6 minimum MTU.
export const STUN_MAX_REQUEST_BYTES = 1280;

export type StunDropReason =
  | "oversize" // longer than STUN_MAX_REQUEST_BYTES
  | "not-stun" // no STUN header (no magic cookie, top bits set, shorter than 20 bytes)
  | "malformed" // a STUN header, but lengths, attributes or FINGERPRINT wrong
  | "not-binding-request" // a well-formed message of another kind (a response, an indication)
  | "bad-source"; // a source no answer can go to (port 0, not an IP address)

export type StunVerdict =
  | { readonly kind: "answer"; readonly bytes: Uint8Array }
  | { readonly kind: "drop"; readonly reason: StunDropReason };

// `bytes`: one datagram, read and not kept. `from`: its source as the socket reported it (an
// IPv4 client of a dual-stack IPv6 socket shows as ::ffff:a.b.c.d, a link-local one with a
// %zone); the answer goes back there and names it as the client's own stack would.
export function respondToStun(bytes: Uint8Array, from: Endpoint): StunVerdict {
  if (bytes.length > STUN_MAX_REQUEST_BYTES) return drop("oversize");
  if (classifyDatagram(bytes) !== "stun") return drop("not-stun");
  const message = decodeStunMessage(bytes);
  if (message === null) return drop("malformed");
  if (message.type !== STUN_BINDING_REQUEST) return drop("not-binding-request");
  const source = clientAddress(from.host);
  if (source === null || from.port < 1 || from.port > 65535) return drop("bad-source");
  return { kind: "answer", bytes: encodeBindingSuccess(message.transactionId, { host: source, port: from.port }) };
}

// The address as the client knows itself: an IPv4-mapped IPv6 address is its IPv4 address
// (RFC 4291 §2.5.5.2), a zone index is local to this host.
function clientAddress(host: string): string | null {
  const address = parseIpAddress(host.split("%")[0]!);
  if (address === null) return null;
  const mapped = address.family === 6 && address.bytes.subarray(0, 10).every((byte) => byte === 0) && address.bytes[10] === 0xff && address.bytes[11] === 0xff;
  return formatIpAddress(mapped ? { family: 4, bytes: address.bytes.slice(12) } : address);
}

const drop = (reason: StunDropReason): StunVerdict => ({ kind: "drop", reason });
