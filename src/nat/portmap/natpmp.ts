// NAT-PMP (RFC 6886): the gateway's public IPv4 address and UDP port mappings, asked of the
// default gateway on UDP port 5351. Encoders build requests; the decoder reads any datagram
// and returns null for what is not a NAT-PMP response (it never throws on network input).
//
// Every multi-byte field is big-endian (network order).

export const NATPMP_PORT = 5351; // §3.1: the gateway listens here, for NAT-PMP and PCP alike
export const NATPMP_VERSION = 0;

export const NATPMP_OP_EXTERNAL_ADDRESS = 0;
export const NATPMP_OP_MAP_UDP = 1;
export const NATPMP_OP_MAP_TCP = 2;
// §3.2, §3.3: a response's opcode is the request's plus 128.
export const NATPMP_RESPONSE_BIT = 0x80;

// §3.5 result codes.
export const NatPmpResult = {
  success: 0,
  unsupportedVersion: 1,
  notAuthorized: 2, // refused: the box has mapping turned off, say
  networkFailure: 3, // the gateway has no public address (no DHCP lease)
  outOfResources: 4, // no port free, or too many mappings
  unsupportedOpcode: 5,
} as const;

const RESULT_NAMES: Readonly<Record<number, string>> = {
  1: "unsupported version",
  2: "not authorized or refused",
  3: "network failure (the gateway has no public address)",
  4: "out of resources",
  5: "unsupported opcode",
};

export function natPmpResultName(code: number): string {
  return RESULT_NAMES[code] ?? `result code ${code}`;
}

// External address request (§3.2), 2 bytes:
//   0      version = 0
//   1      opcode = 0
export function encodeNatPmpExternalAddressRequest(): Uint8Array {
  return Uint8Array.of(NATPMP_VERSION, NATPMP_OP_EXTERNAL_ADDRESS);
}

// UDP map request (§3.3), 12 bytes:
//   0      version = 0
//   1      opcode = 1 (UDP)
//   2..4   reserved, 0
//   4..6   internal port
//   6..8   suggested external port (0: no preference)
//   8..12  requested lifetime, seconds (0 with external port 0: delete, §3.4)
export const NATPMP_MAP_REQUEST_BYTES = 12;

export function encodeNatPmpMapRequest(internalPort: number, suggestedExternalPort: number, lifetimeSeconds: number): Uint8Array {
  const bytes = new Uint8Array(NATPMP_MAP_REQUEST_BYTES);
  const view = new DataView(bytes.buffer);
  bytes[0] = NATPMP_VERSION;
  bytes[1] = NATPMP_OP_MAP_UDP;
  view.setUint16(4, internalPort);
  view.setUint16(6, suggestedExternalPort);
  view.setUint32(8, lifetimeSeconds);
  return bytes;
}

// §3.4: deleting is a map request with lifetime 0 and suggested external port 0.
export function encodeNatPmpDeleteRequest(internalPort: number): Uint8Array {
  return encodeNatPmpMapRequest(internalPort, 0, 0);
}

// Every response starts with 8 bytes (§3.2, §3.3, §3.5):
//   0      version = 0
//   1      opcode = 128 + the request's
//   2..4   result code
//   4..8   seconds since start of epoch (SSSoE): how long the gateway has held its mappings
// External address response (opcode 128), 12 bytes: 8..12 external IPv4 address.
// Map response (opcode 129 UDP, 130 TCP), 16 bytes:
//   8..10  internal port
//   10..12 mapped external port
//   12..16 granted lifetime, seconds
// An error answer may stop after the 8 common bytes (a gateway answering a version it does not
// speak cannot know the rest; miniupnpd sends 8 bytes then).
const NATPMP_HEADER_BYTES = 8;
const NATPMP_EXTERNAL_ADDRESS_RESPONSE_BYTES = 12;
const NATPMP_MAP_RESPONSE_BYTES = 16;

export type NatPmpResponse =
  | { readonly kind: "failure"; readonly requestOpcode: number; readonly resultCode: number; readonly epochSeconds: number }
  | { readonly kind: "externalAddress"; readonly epochSeconds: number; readonly address: string }
  | {
      readonly kind: "mapping";
      readonly protocol: "udp" | "tcp";
      readonly epochSeconds: number;
      readonly internalPort: number;
      readonly externalPort: number;
      readonly lifetimeSeconds: number;
    };

export function decodeNatPmpResponse(bytes: Uint8Array): NatPmpResponse | null {
  if (bytes.length < NATPMP_HEADER_BYTES || bytes[0] !== NATPMP_VERSION) return null;
  const opcode = bytes[1]!;
  if ((opcode & NATPMP_RESPONSE_BIT) === 0) return null; // a request (another client's), not an answer
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const requestOpcode = opcode & ~NATPMP_RESPONSE_BIT;
  const resultCode = view.getUint16(2);
  const epochSeconds = view.getUint32(4);
  if (resultCode !== NatPmpResult.success) return { kind: "failure", requestOpcode, resultCode, epochSeconds };
  if (requestOpcode === NATPMP_OP_EXTERNAL_ADDRESS) {
    if (bytes.length < NATPMP_EXTERNAL_ADDRESS_RESPONSE_BYTES) return null;
    return { kind: "externalAddress", epochSeconds, address: `${bytes[8]}.${bytes[9]}.${bytes[10]}.${bytes[11]}` };
  }
  if (requestOpcode === NATPMP_OP_MAP_UDP || requestOpcode === NATPMP_OP_MAP_TCP) {
    if (bytes.length < NATPMP_MAP_RESPONSE_BYTES) return null;
    return {
      kind: "mapping",
      protocol: requestOpcode === NATPMP_OP_MAP_UDP ? "udp" : "tcp",
      epochSeconds,
      internalPort: view.getUint16(8),
      externalPort: view.getUint16(10),
      lifetimeSeconds: view.getUint32(12),
    };
  }
  return null;
}

// §3.6: the client's conservative estimate of the gateway's SSSoE is the last one seen plus 7/8
// of the time elapsed on the client's clock; an SSSoE more than 2 s below it means the gateway
// rebooted or otherwise lost its mappings, and every mapping must be requested again.
export interface EpochObservation {
  readonly epochSeconds: number;
  readonly atMs: number; // the client's monotonic clock when the answer came
}

export function natPmpEpochLost(previous: EpochObservation, current: EpochObservation): boolean {
  const elapsedSeconds = Math.max(0, current.atMs - previous.atMs) / 1000;
  const estimate = previous.epochSeconds + (elapsedSeconds * 7) / 8;
  return current.epochSeconds + 2 < estimate;
}
