// What a datagram on a node's WireGuard socket is, from its first bytes only (never from its
// source): the socket also carries STUN, disco and UDP-relay traffic, so the public mapping
// STUN and peers observe is the one WireGuard uses. Layouts in src/nat/README.md.
//
//   WireGuard   type 1..4, then three zero bytes (whitepaper §5.4)
//   STUN        top two bits 00 and the magic cookie 0x2112A442 at bytes 4..8 (RFC 8489 §5)
//   disco       6d 67 d1 5c
//   UDP relay   6d 67 9e 1a

export type DatagramKind = "wireguard" | "stun" | "disco" | "relay" | "unknown";

export const DISCO_MAGIC = Uint8Array.of(0x6d, 0x67, 0xd1, 0x5c);
export const UDP_RELAY_MAGIC = Uint8Array.of(0x6d, 0x67, 0x9e, 0x1a);
export const STUN_MAGIC_COOKIE = 0x2112a442;

// The smallest datagram of each kind that can be anything but noise: a WireGuard keepalive is
// 32 bytes, a STUN header 20.
const MIN_WIREGUARD_BYTES = 32;
const STUN_HEADER_BYTES = 20;
const MAGIC_BYTES = 4;

function startsWith(bytes: Uint8Array, offset: number, length: number, magic: Uint8Array): boolean {
  return length >= MAGIC_BYTES && bytes[offset] === magic[0] && bytes[offset + 1] === magic[1] && bytes[offset + 2] === magic[2] && bytes[offset + 3] === magic[3];
}

// Classifies `length` bytes at `offset` of `bytes` (a batch slot, say) without copying.
export function classifyDatagram(bytes: Uint8Array, offset = 0, length = bytes.length - offset): DatagramKind {
  const first = bytes[offset]!;
  if (length >= MIN_WIREGUARD_BYTES && first >= 1 && first <= 4 && bytes[offset + 1] === 0 && bytes[offset + 2] === 0 && bytes[offset + 3] === 0) {
    return "wireguard";
  }
  if (
    length >= STUN_HEADER_BYTES &&
    (first & 0xc0) === 0 &&
    ((bytes[offset + 4]! << 24) | (bytes[offset + 5]! << 16) | (bytes[offset + 6]! << 8) | bytes[offset + 7]!) >>> 0 === STUN_MAGIC_COOKIE
  ) {
    return "stun";
  }
  if (startsWith(bytes, offset, length, DISCO_MAGIC)) return "disco";
  if (startsWith(bytes, offset, length, UDP_RELAY_MAGIC)) return "relay";
  return "unknown";
}
