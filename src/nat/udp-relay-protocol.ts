// The UDP peer relay's datagrams (src/nat/README.md, "UDP peer relay"). One frame per datagram:
//
//   magic 6d 67 9e 1a (4) ‖ type (1) ‖ body                               (demux.ts: "relay")
//
//   0x01 bind         client → relay  client node key (32)                              37 bytes
//   0x02 challenge    relay → client  cookie (16) = MAC(secret, client address ‖ key)   21 bytes
//   0x03 bindConfirm  client → relay  client node key (32) ‖ cookie (16) ‖ proof (16)   69 bytes
//   0x04 bound        relay → client  lifetime in seconds (u16 BE)                       7 bytes
//   0x05 send         client → relay  destination node key (32) ‖ packet (1..65,470)   ≥ 38 bytes
//   0x06 recv         relay → client  source node key (32) ‖ packet (1..65,470)        ≥ 38 bytes
//
// Fixed-size frames must have exactly their size; send and recv are the same size for the same
// packet, so the relay turns one into the other in place (rewriteSendAsRecv). Parsing never
// throws: anything else is null.

import { UDP_RELAY_MAGIC } from "./demux.js";

export const UDP_RELAY_HEADER_BYTES = 5;
export const UDP_NODE_KEY_BYTES = 32;
export const UDP_COOKIE_BYTES = 16;
export const UDP_PROOF_BYTES = 16;
// The largest UDP payload over IPv4 (65,535 − 20 − 8) less the send/recv header and key.
export const UDP_MAX_DATAGRAM_BYTES = 65_507;
export const UDP_MAX_RELAYED_PACKET_BYTES = UDP_MAX_DATAGRAM_BYTES - UDP_RELAY_HEADER_BYTES - UDP_NODE_KEY_BYTES;

export const UdpFrameType = {
  bind: 0x01,
  challenge: 0x02,
  bindConfirm: 0x03,
  bound: 0x04,
  send: 0x05,
  recv: 0x06,
} as const;

const BIND_BYTES = UDP_RELAY_HEADER_BYTES + UDP_NODE_KEY_BYTES;
const CHALLENGE_FRAME_BYTES = UDP_RELAY_HEADER_BYTES + UDP_COOKIE_BYTES;
const BIND_CONFIRM_BYTES = UDP_RELAY_HEADER_BYTES + UDP_NODE_KEY_BYTES + UDP_COOKIE_BYTES + UDP_PROOF_BYTES;
const BOUND_BYTES = UDP_RELAY_HEADER_BYTES + 2;
const MIN_PACKET_FRAME_BYTES = UDP_RELAY_HEADER_BYTES + UDP_NODE_KEY_BYTES + 1;

// Views into the datagram (never copied).
export type UdpRelayFrame =
  | { readonly type: "bind"; readonly key: Uint8Array }
  | { readonly type: "challenge"; readonly cookie: Uint8Array }
  | { readonly type: "bindConfirm"; readonly key: Uint8Array; readonly cookie: Uint8Array; readonly proof: Uint8Array }
  | { readonly type: "bound"; readonly lifetimeSeconds: number }
  | { readonly type: "send"; readonly key: Uint8Array; readonly packet: Uint8Array }
  | { readonly type: "recv"; readonly key: Uint8Array; readonly packet: Uint8Array };

export function hasUdpRelayMagic(bytes: Uint8Array): boolean {
  return bytes.length >= UDP_RELAY_HEADER_BYTES && bytes[0] === UDP_RELAY_MAGIC[0] && bytes[1] === UDP_RELAY_MAGIC[1] && bytes[2] === UDP_RELAY_MAGIC[2] && bytes[3] === UDP_RELAY_MAGIC[3];
}

export function parseUdpRelayFrame(bytes: Uint8Array): UdpRelayFrame | null {
  if (!hasUdpRelayMagic(bytes) || bytes.length > UDP_MAX_DATAGRAM_BYTES) return null;
  const key = (): Uint8Array => bytes.subarray(UDP_RELAY_HEADER_BYTES, UDP_RELAY_HEADER_BYTES + UDP_NODE_KEY_BYTES);
  switch (bytes[4]) {
    case UdpFrameType.bind:
      return bytes.length === BIND_BYTES ? { type: "bind", key: key() } : null;
    case UdpFrameType.challenge:
      return bytes.length === CHALLENGE_FRAME_BYTES ? { type: "challenge", cookie: bytes.subarray(UDP_RELAY_HEADER_BYTES) } : null;
    case UdpFrameType.bindConfirm: {
      if (bytes.length !== BIND_CONFIRM_BYTES) return null;
      const cookieAt = UDP_RELAY_HEADER_BYTES + UDP_NODE_KEY_BYTES;
      return { type: "bindConfirm", key: key(), cookie: bytes.subarray(cookieAt, cookieAt + UDP_COOKIE_BYTES), proof: bytes.subarray(cookieAt + UDP_COOKIE_BYTES) };
    }
    case UdpFrameType.bound:
      return bytes.length === BOUND_BYTES ? { type: "bound", lifetimeSeconds: (bytes[5]! << 8) | bytes[6]! } : null;
    case UdpFrameType.send:
    case UdpFrameType.recv:
      if (bytes.length < MIN_PACKET_FRAME_BYTES) return null;
      return { type: bytes[4] === UdpFrameType.send ? "send" : "recv", key: key(), packet: bytes.subarray(UDP_RELAY_HEADER_BYTES + UDP_NODE_KEY_BYTES) };
    default:
      return null;
  }
}

function frame(type: number, ...parts: Uint8Array[]): Uint8Array {
  let length = UDP_RELAY_HEADER_BYTES;
  for (const part of parts) length += part.length;
  const bytes = new Uint8Array(length);
  bytes.set(UDP_RELAY_MAGIC);
  bytes[4] = type;
  let offset = UDP_RELAY_HEADER_BYTES;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

function requireLength(what: string, bytes: Uint8Array, length: number): void {
  if (bytes.length !== length) throw new RangeError(`${what} must be ${length} bytes, got ${bytes.length}`);
}

function requirePacket(packet: Uint8Array): void {
  if (packet.length < 1 || packet.length > UDP_MAX_RELAYED_PACKET_BYTES) throw new RangeError(`a relayed packet is 1 to ${UDP_MAX_RELAYED_PACKET_BYTES} bytes, got ${packet.length}`);
}

// Encoders: inputs are only read, results are fresh; they throw only for a caller's mistake.
export function encodeBind(key: Uint8Array): Uint8Array {
  requireLength("the node key", key, UDP_NODE_KEY_BYTES);
  return frame(UdpFrameType.bind, key);
}

export function encodeChallenge(cookie: Uint8Array): Uint8Array {
  requireLength("the cookie", cookie, UDP_COOKIE_BYTES);
  return frame(UdpFrameType.challenge, cookie);
}

export function encodeBindConfirm(key: Uint8Array, cookie: Uint8Array, proof: Uint8Array): Uint8Array {
  requireLength("the node key", key, UDP_NODE_KEY_BYTES);
  requireLength("the cookie", cookie, UDP_COOKIE_BYTES);
  requireLength("the proof", proof, UDP_PROOF_BYTES);
  return frame(UdpFrameType.bindConfirm, key, cookie, proof);
}

export function encodeBound(lifetimeSeconds: number): Uint8Array {
  if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < 0 || lifetimeSeconds > 0xffff) throw new RangeError(`a lifetime is 0 to 65,535 s, got ${lifetimeSeconds}`);
  return frame(UdpFrameType.bound, Uint8Array.of(lifetimeSeconds >> 8, lifetimeSeconds & 0xff));
}

export function encodeUdpSend(destination: Uint8Array, packet: Uint8Array): Uint8Array {
  requireLength("the destination key", destination, UDP_NODE_KEY_BYTES);
  requirePacket(packet);
  return frame(UdpFrameType.send, destination, packet);
}

export function encodeUdpRecv(source: Uint8Array, packet: Uint8Array): Uint8Array {
  requireLength("the source key", source, UDP_NODE_KEY_BYTES);
  requirePacket(packet);
  return frame(UdpFrameType.recv, source, packet);
}

// Turns a parsed send datagram into the recv for its destination, in place: the type byte and
// the key (destination → source) change, the packet stays where it is. Returns `datagram`.
export function rewriteSendAsRecv(datagram: Uint8Array, source: Uint8Array): Uint8Array {
  requireLength("the source key", source, UDP_NODE_KEY_BYTES);
  datagram[4] = UdpFrameType.recv;
  datagram.set(source, UDP_RELAY_HEADER_BYTES);
  return datagram;
}
