// Minimal IPv4/IPv6 packets for tests: just enough header for the data path (version, length,
// addresses) around a payload. Checksums are left zero: nothing here checks them.

import { parseIpAddress } from "../../src/net/ip-prefix.js";

function address(text: string, family: 4 | 6): Uint8Array {
  const parsed = parseIpAddress(text);
  if (parsed === null || parsed.family !== family) throw new Error(`not an IPv${family} address: ${text}`);
  return parsed.bytes;
}

export function ipv4Packet(source: string, destination: string, payload: Uint8Array): Uint8Array {
  const packet = new Uint8Array(20 + payload.length);
  const view = new DataView(packet.buffer);
  packet[0] = 0x45; // version 4, header 5 words
  view.setUint16(2, packet.length);
  packet[8] = 64; // TTL
  packet[9] = 17; // UDP, for the look of it
  packet.set(address(source, 4), 12);
  packet.set(address(destination, 4), 16);
  packet.set(payload, 20);
  return packet;
}

export function ipv6Packet(source: string, destination: string, payload: Uint8Array): Uint8Array {
  const packet = new Uint8Array(40 + payload.length);
  const view = new DataView(packet.buffer);
  packet[0] = 0x60;
  view.setUint16(4, payload.length);
  packet[6] = 17;
  packet[7] = 64;
  packet.set(address(source, 6), 8);
  packet.set(address(destination, 6), 24);
  packet.set(payload, 40);
  return packet;
}

// The payload of a packet made by ipv4Packet/ipv6Packet.
export function payloadOf(packet: Uint8Array): Uint8Array {
  return packet.subarray((packet[0]! >> 4) === 4 ? 20 : 40);
}

// An IPv4 packet carrying a UDP datagram that a real kernel accepts from a TUN: the header
// checksum is right (RFC 791 §3.1); the UDP checksum is 0, "none", which IPv4 allows (RFC 768).
export function ipv4UdpPacket(source: string, sourcePort: number, destination: string, destinationPort: number, payload: Uint8Array): Uint8Array {
  const udp = new Uint8Array(8 + payload.length);
  const udpView = new DataView(udp.buffer);
  udpView.setUint16(0, sourcePort);
  udpView.setUint16(2, destinationPort);
  udpView.setUint16(4, udp.length);
  udp.set(payload, 8);
  const packet = ipv4Packet(source, destination, udp);
  const view = new DataView(packet.buffer);
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += view.getUint16(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  view.setUint16(10, ~sum & 0xffff);
  return packet;
}

export interface UdpInIpv4 {
  readonly source: string;
  readonly sourcePort: number;
  readonly destination: string;
  readonly destinationPort: number;
  readonly payload: Uint8Array;
}

// The UDP datagram in an IPv4 packet without options, or null for anything else.
export function parseIpv4Udp(packet: Uint8Array): UdpInIpv4 | null {
  if (packet.length < 28 || packet[0] !== 0x45 || packet[9] !== 17) return null;
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const end = Math.min(packet.length, view.getUint16(2));
  return {
    source: packet.subarray(12, 16).join("."),
    sourcePort: view.getUint16(20),
    destination: packet.subarray(16, 20).join("."),
    destinationPort: view.getUint16(22),
    payload: packet.subarray(28, end),
  };
}
