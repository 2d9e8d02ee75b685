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
