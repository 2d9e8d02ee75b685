// PCP, the Port Control Protocol (RFC 6887): NAT-PMP's successor on the same UDP port 5351.
// meshgate uses two opcodes: ANNOUNCE (to learn whether a PCP server is there, §14.1) and MAP
// (a UDP mapping of the WireGuard port, §11). Addresses travel as 16 bytes; IPv4 as an
// IPv4-mapped IPv6 address (::ffff:a.b.c.d, §5). The decoder never throws on network input.
//
// Every multi-byte field is big-endian (network order).

import { formatIpAddress, parseIpAddress } from "../../net/ip-prefix.js";

export const PCP_VERSION = 2;
export const PCP_OP_ANNOUNCE = 0;
export const PCP_OP_MAP = 1;
const PCP_RESPONSE_BIT = 0x80; // §7.2: the R bit, top bit of the opcode byte
const IPPROTO_UDP = 17;
const PCP_MAX_MESSAGE_BYTES = 1100; // §7: a PCP message is at most 1100 bytes

// §7.4 result codes.
export const PcpResult = {
  success: 0,
  unsupportedVersion: 1,
  notAuthorized: 2,
  malformedRequest: 3,
  unsupportedOpcode: 4,
  unsupportedOption: 5,
  malformedOption: 6,
  networkFailure: 7,
  noResources: 8,
  unsupportedProtocol: 9,
  userExceededQuota: 10,
  cannotProvideExternal: 11,
  addressMismatch: 12, // a NAT between us and the PCP server rewrote our address
  excessiveRemotePeers: 13,
} as const;

const RESULT_NAMES: readonly string[] = [
  "success",
  "unsupported version",
  "not authorized",
  "malformed request",
  "unsupported opcode",
  "unsupported option",
  "malformed option",
  "network failure",
  "no resources",
  "unsupported protocol",
  "user exceeded quota",
  "cannot provide the suggested external address or port",
  "address mismatch (a NAT between this host and the gateway)",
  "excessive remote peers",
];

export function pcpResultName(code: number): string {
  return RESULT_NAMES[code] ?? `result code ${code}`;
}

// Request header (§7.1), 24 bytes:
//   0       version = 2
//   1       R = 0 (top bit) | opcode (7 bits)
//   2..4    reserved, 0
//   4..8    requested lifetime, seconds (0: delete; ANNOUNCE: 0)
//   8..24   PCP client's IP address, as the server should see it (IPv4-mapped)
export const PCP_HEADER_BYTES = 24;
// MAP opcode data (§11.1), 36 bytes, after the header:
//   0..12   mapping nonce: random, and the same for renewing or deleting this mapping (§11.2)
//   12      protocol (17: UDP)
//   13..16  reserved, 0
//   16..18  internal port
//   18..20  suggested external port (0: no preference)
//   20..36  suggested external IP address (::ffff:0.0.0.0: no preference)
export const PCP_MAP_BYTES = 36;
export const PCP_NONCE_BYTES = 12;

export interface PcpMapRequest {
  readonly clientAddress: string; // this host's IPv4 toward the gateway
  readonly nonce: Uint8Array; // PCP_NONCE_BYTES
  readonly internalPort: number;
  readonly suggestedExternalPort: number;
  readonly suggestedExternalAddress: string | null;
  readonly lifetimeSeconds: number;
}

function header(opcode: number, lifetimeSeconds: number, clientAddress: string, bodyBytes: number): Uint8Array {
  const bytes = new Uint8Array(PCP_HEADER_BYTES + bodyBytes);
  bytes[0] = PCP_VERSION;
  bytes[1] = opcode;
  new DataView(bytes.buffer).setUint32(4, lifetimeSeconds);
  bytes.set(mappedAddress(clientAddress), 8);
  return bytes;
}

// §14.1: an ANNOUNCE request (header only, lifetime 0) asks "is a PCP server there?"; the
// server answers with its epoch, and creates nothing.
export function encodePcpAnnounceRequest(clientAddress: string): Uint8Array {
  return header(PCP_OP_ANNOUNCE, 0, clientAddress, 0);
}

export function encodePcpMapRequest(request: PcpMapRequest): Uint8Array {
  if (request.nonce.length !== PCP_NONCE_BYTES) throw new RangeError(`a PCP mapping nonce is ${PCP_NONCE_BYTES} bytes, not ${request.nonce.length}`);
  const bytes = header(PCP_OP_MAP, request.lifetimeSeconds, request.clientAddress, PCP_MAP_BYTES);
  const view = new DataView(bytes.buffer);
  bytes.set(request.nonce, PCP_HEADER_BYTES);
  bytes[PCP_HEADER_BYTES + 12] = IPPROTO_UDP;
  view.setUint16(PCP_HEADER_BYTES + 16, request.internalPort);
  view.setUint16(PCP_HEADER_BYTES + 18, request.suggestedExternalPort);
  bytes.set(mappedAddress(request.suggestedExternalAddress ?? "0.0.0.0"), PCP_HEADER_BYTES + 20);
  return bytes;
}

// Response header (§7.2), 24 bytes:
//   0       version
//   1       R = 1 | opcode
//   2       reserved
//   3       result code
//   4..8    lifetime, seconds: of the mapping on success, of the error otherwise (§7.4)
//   8..12   epoch time, seconds (§8.5)
//   12..24  reserved
// MAP response data (§11.1), 36 bytes: nonce, protocol, reserved (3), internal port, assigned
// external port, assigned external IP address — at the same offsets as the request's.
export type PcpResponse =
  | { readonly kind: "announce"; readonly resultCode: number; readonly epochSeconds: number }
  | {
      readonly kind: "map";
      readonly resultCode: number;
      readonly lifetimeSeconds: number;
      readonly epochSeconds: number;
      readonly nonce: Uint8Array;
      readonly protocol: number;
      readonly internalPort: number;
      readonly externalPort: number;
      readonly externalAddress: string;
    }
  // §9: a server that does not speak our version answers "unsupported version" with the one it
  // speaks; a NAT-PMP-only gateway answers version 0 (RFC 6886 §3.5), which is how a PCP probe
  // learns that NAT-PMP is there instead.
  | { readonly kind: "unsupportedVersion"; readonly version: number };

export function decodePcpResponse(bytes: Uint8Array): PcpResponse | null {
  // The NAT-PMP error answer is 8 bytes; anything else must hold a full header.
  if (bytes.length < 8 || bytes.length > PCP_MAX_MESSAGE_BYTES || (bytes[1]! & PCP_RESPONSE_BIT) === 0) return null;
  if (bytes[0] !== PCP_VERSION) {
    return bytes[3] === PcpResult.unsupportedVersion ? { kind: "unsupportedVersion", version: bytes[0]! } : null;
  }
  if (bytes.length < PCP_HEADER_BYTES) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const opcode = bytes[1]! & ~PCP_RESPONSE_BIT;
  const resultCode = bytes[3]!;
  const lifetimeSeconds = view.getUint32(4);
  const epochSeconds = view.getUint32(8);
  if (opcode === PCP_OP_ANNOUNCE) return { kind: "announce", resultCode, epochSeconds };
  if (opcode !== PCP_OP_MAP || bytes.length < PCP_HEADER_BYTES + PCP_MAP_BYTES) return null;
  const body = PCP_HEADER_BYTES;
  return {
    kind: "map",
    resultCode,
    lifetimeSeconds,
    epochSeconds,
    nonce: bytes.slice(body, body + PCP_NONCE_BYTES),
    protocol: bytes[body + 12]!,
    internalPort: view.getUint16(body + 16),
    externalPort: view.getUint16(body + 18),
    externalAddress: unmappedAddress(bytes.subarray(body + 20, body + 36)),
  };
}

// Whether a MAP response answers our request (§11.3: the nonce, protocol and internal port
// must match; anything else is another mapping's answer, or forged).
export function pcpAnswersMap(response: PcpResponse, request: PcpMapRequest): response is Extract<PcpResponse, { kind: "map" }> {
  return (
    response.kind === "map" &&
    response.protocol === IPPROTO_UDP &&
    response.internalPort === request.internalPort &&
    response.nonce.length === request.nonce.length &&
    response.nonce.every((byte, index) => byte === request.nonce[index])
  );
}

// §8.5: the server lost its state (rebooted) if its epoch went back more than 1 s, or if the
// two clocks advanced by amounts that differ by more than 1/16 plus 2 s.
export function pcpEpochLost(previous: { epochSeconds: number; atMs: number }, current: { epochSeconds: number; atMs: number }): boolean {
  if (current.epochSeconds + 1 < previous.epochSeconds) return true;
  const clientDelta = Math.max(0, current.atMs - previous.atMs) / 1000;
  const serverDelta = Math.max(0, current.epochSeconds - previous.epochSeconds);
  return clientDelta + 2 < serverDelta - serverDelta / 16 || serverDelta + 2 < clientDelta - clientDelta / 16;
}

// §5: an IPv4 address as ::ffff:a.b.c.d. A caller passes an address it got from the OS, so
// anything else is a programmer's error.
export function mappedAddress(ipv4: string): Uint8Array {
  const address = parseIpAddress(ipv4);
  if (address === null || address.family !== 4) throw new RangeError(`"${ipv4}" is not an IPv4 address`);
  const bytes = new Uint8Array(16);
  bytes[10] = 0xff;
  bytes[11] = 0xff;
  bytes.set(address.bytes, 12);
  return bytes;
}

// 16 bytes as text: the IPv4 address when IPv4-mapped, else IPv6.
export function unmappedAddress(bytes: Uint8Array): string {
  const mapped = bytes.subarray(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return `${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  return formatIpAddress({ family: 6, bytes: bytes.slice(0, 16) });
}
