// STUN binding messages (RFC 8489): the request a node sends to learn its public endpoint and
// the success response that tells it. Only the Binding method and only what a mapping probe
// needs; no authentication (MESSAGE-INTEGRITY is tolerated when reading, never checked).
//
// Message (§5), big-endian:
//
//   type (2) ‖ length (2) ‖ magic cookie 0x2112A442 (4) ‖ transaction id (12) ‖ attributes
//
//   type    top two bits 00; Binding request 0x0001, success response 0x0101, error 0x0111
//   length  bytes of attributes after the 20-byte header, a multiple of 4
//
// Attribute (§14): type (2) ‖ length (2) ‖ value (length) ‖ zero padding to a multiple of 4.
//
// Decoders take bytes from the network: they never throw and return null for anything that is
// not a well-formed message. They copy what they return; the caller keeps the buffer.

import type { Endpoint } from "../net/endpoint.js";
import { formatIpAddress, parseIpAddress } from "../net/ip-prefix.js";
import { STUN_MAGIC_COOKIE } from "./demux.js";

// The IANA port for STUN over UDP (RFC 8489 §18.6); a coordinator also answers on the next one.
export const STUN_PORT = 3478;

export const STUN_HEADER_BYTES = 20;
export const STUN_TRANSACTION_ID_BYTES = 12;

export const STUN_BINDING_REQUEST = 0x0001;
export const STUN_BINDING_SUCCESS = 0x0101;
export const STUN_BINDING_ERROR = 0x0111;

// Attribute types (§18.3). Below 0x8000 a receiver must understand them, above it may skip them.
const ATTRIBUTE_MAPPED_ADDRESS = 0x0001; // RFC 3489 servers still answer with this alone
const ATTRIBUTE_MESSAGE_INTEGRITY = 0x0008;
const ATTRIBUTE_MESSAGE_INTEGRITY_SHA256 = 0x001c;
const ATTRIBUTE_XOR_MAPPED_ADDRESS = 0x0020;
const ATTRIBUTE_SOFTWARE = 0x8022;
const ATTRIBUTE_FINGERPRINT = 0x8028;

const ATTRIBUTE_HEADER_BYTES = 4;
// (XOR-)MAPPED-ADDRESS value (§14.1, §14.2): reserved (1) ‖ family (1) ‖ port (2) ‖ address
// (4 or 16); XOR-MAPPED-ADDRESS xors the port with the cookie's top 16 bits, an IPv4 address
// with the cookie, an IPv6 address with the cookie ‖ transaction id.
const ADDRESS_FAMILY_IPV4 = 0x01;
const ADDRESS_FAMILY_IPV6 = 0x02;
const ADDRESS_VALUE_HEADER_BYTES = 4;
// FINGERPRINT value (§14.7): CRC-32 of the message before it (the length field already counting
// it), xor 0x5354554e ("STUN"). It must be the last attribute.
const FINGERPRINT_XOR = 0x5354554e;
const FINGERPRINT_ATTRIBUTE_BYTES = 8;
// SOFTWARE (§14.14): fewer than 128 characters, at most 763 bytes of UTF-8.
const SOFTWARE_MAX_BYTES = 763;

export interface StunMessage {
  readonly type: number;
  readonly transactionId: Uint8Array; // 12 bytes, a copy
  // XOR-MAPPED-ADDRESS, else MAPPED-ADDRESS, else null; host in canonical text.
  readonly mapped: Endpoint | null;
  readonly software: string | null;
  // A FINGERPRINT was present (and matched: a message whose fingerprint is wrong is null).
  readonly fingerprint: boolean;
}

export interface StunEncodeOptions {
  readonly software?: string;
}

// ─── encoding ───────────────────────────────────────────────────────────────────────────────

// A Binding request: the header and FINGERPRINT (so a server that shares its port with other
// protocols can tell it apart), SOFTWARE when given. `transactionId`: 12 bytes, copied.
export function encodeBindingRequest(transactionId: Uint8Array, options: StunEncodeOptions = {}): Uint8Array {
  return encodeMessage(STUN_BINDING_REQUEST, transactionId, [], options);
}

// A Binding success response telling the requester `mapped` (an IP literal endpoint) in
// XOR-MAPPED-ADDRESS, with FINGERPRINT. Throws if `mapped.host` is not an IP address (the
// caller's bug: a server answers with the address a datagram came from).
export function encodeBindingSuccess(transactionId: Uint8Array, mapped: Endpoint, options: StunEncodeOptions = {}): Uint8Array {
  const address = parseIpAddress(mapped.host);
  if (address === null) throw new RangeError(`STUN mapped address "${mapped.host}" is not an IP address`);
  const value = new Uint8Array(ADDRESS_VALUE_HEADER_BYTES + address.bytes.length);
  value[1] = address.family === 4 ? ADDRESS_FAMILY_IPV4 : ADDRESS_FAMILY_IPV6;
  writeUint16(value, 2, mapped.port ^ (STUN_MAGIC_COOKIE >>> 16));
  const mask = xorMask(transactionId);
  for (let i = 0; i < address.bytes.length; i++) value[ADDRESS_VALUE_HEADER_BYTES + i] = address.bytes[i]! ^ mask[i]!;
  return encodeMessage(STUN_BINDING_SUCCESS, transactionId, [[ATTRIBUTE_XOR_MAPPED_ADDRESS, value]], options);
}

function encodeMessage(type: number, transactionId: Uint8Array, attributes: [number, Uint8Array][], options: StunEncodeOptions): Uint8Array {
  if (transactionId.length !== STUN_TRANSACTION_ID_BYTES) throw new RangeError(`a STUN transaction id is ${STUN_TRANSACTION_ID_BYTES} bytes, got ${transactionId.length}`);
  const all = [...attributes];
  if (options.software !== undefined) {
    const software = new TextEncoder().encode(options.software);
    if (software.length > SOFTWARE_MAX_BYTES) throw new RangeError(`STUN SOFTWARE is at most ${SOFTWARE_MAX_BYTES} bytes`);
    all.push([ATTRIBUTE_SOFTWARE, software]);
  }
  const attributeBytes = all.reduce((sum, [, value]) => sum + ATTRIBUTE_HEADER_BYTES + padded(value.length), 0) + FINGERPRINT_ATTRIBUTE_BYTES;
  const message = new Uint8Array(STUN_HEADER_BYTES + attributeBytes);
  writeUint16(message, 0, type);
  writeUint16(message, 2, attributeBytes);
  writeUint32(message, 4, STUN_MAGIC_COOKIE);
  message.set(transactionId, 8);
  let offset = STUN_HEADER_BYTES;
  for (const [attributeType, value] of all) {
    writeUint16(message, offset, attributeType);
    writeUint16(message, offset + 2, value.length);
    message.set(value, offset + ATTRIBUTE_HEADER_BYTES);
    offset += ATTRIBUTE_HEADER_BYTES + padded(value.length); // padding stays zero
  }
  writeUint16(message, offset, ATTRIBUTE_FINGERPRINT);
  writeUint16(message, offset + 2, 4);
  writeUint32(message, offset + ATTRIBUTE_HEADER_BYTES, (crc32(message, 0, offset) ^ FINGERPRINT_XOR) >>> 0);
  return message;
}

// ─── decoding ───────────────────────────────────────────────────────────────────────────────

// Decodes the STUN message filling `bytes` (a datagram is exactly one message, §6.3), or null.
// Unknown attributes are skipped: a binding answer reveals nothing a requester's attributes
// could change, so there is no 420 Unknown Attribute error to send (§6.3.1 would).
export function decodeStunMessage(bytes: Uint8Array): StunMessage | null {
  if (bytes.length < STUN_HEADER_BYTES || (bytes[0]! & 0xc0) !== 0 || readUint32(bytes, 4) !== STUN_MAGIC_COOKIE) return null;
  const length = readUint16(bytes, 2);
  if (length % 4 !== 0 || STUN_HEADER_BYTES + length !== bytes.length) return null;
  const transactionId = copy(bytes, 8, STUN_HEADER_BYTES);
  let xorMapped: Endpoint | null = null;
  let mapped: Endpoint | null = null;
  let software: string | null = null;
  let integritySeen = false;
  let fingerprint = false;
  for (let offset = STUN_HEADER_BYTES; offset < bytes.length; ) {
    if (offset + ATTRIBUTE_HEADER_BYTES > bytes.length) return null;
    const type = readUint16(bytes, offset);
    const valueLength = readUint16(bytes, offset + 2);
    const value = offset + ATTRIBUTE_HEADER_BYTES;
    const next = value + padded(valueLength);
    if (next > bytes.length) return null;
    if (type === ATTRIBUTE_FINGERPRINT) {
      // §14.7: the last attribute, 4 bytes, over everything before it.
      if (valueLength !== 4 || next !== bytes.length) return null;
      if (readUint32(bytes, value) !== (crc32(bytes, 0, offset) ^ FINGERPRINT_XOR) >>> 0) return null;
      fingerprint = true;
    } else if (type === ATTRIBUTE_MESSAGE_INTEGRITY || type === ATTRIBUTE_MESSAGE_INTEGRITY_SHA256) {
      // §14.5: what follows MESSAGE-INTEGRITY is ignored, FINGERPRINT (and the SHA-256 one) aside.
      integritySeen = true;
    } else if (!integritySeen) {
      // §14: only the first occurrence of an attribute counts.
      if (type === ATTRIBUTE_XOR_MAPPED_ADDRESS && xorMapped === null) xorMapped = readAddress(bytes, value, valueLength, transactionId);
      else if (type === ATTRIBUTE_MAPPED_ADDRESS && mapped === null) mapped = readAddress(bytes, value, valueLength, null);
      else if (type === ATTRIBUTE_SOFTWARE && software === null && valueLength <= SOFTWARE_MAX_BYTES) {
        software = new TextDecoder().decode(bytes.subarray(value, value + valueLength));
      }
    }
    offset = next;
  }
  return { type: readUint16(bytes, 0), transactionId, mapped: xorMapped ?? mapped, software, fingerprint };
}

// (XOR-)MAPPED-ADDRESS at `offset`, or null when malformed (then the message may still carry
// the other one). `transactionId` null: MAPPED-ADDRESS, nothing xored.
function readAddress(bytes: Uint8Array, offset: number, length: number, transactionId: Uint8Array | null): Endpoint | null {
  const family = bytes[offset + 1];
  const addressBytes = family === ADDRESS_FAMILY_IPV4 ? 4 : family === ADDRESS_FAMILY_IPV6 ? 16 : 0;
  if (addressBytes === 0 || length !== ADDRESS_VALUE_HEADER_BYTES + addressBytes) return null;
  const address = copy(bytes, offset + ADDRESS_VALUE_HEADER_BYTES, offset + length);
  let port = readUint16(bytes, offset + 2);
  if (transactionId !== null) {
    port ^= STUN_MAGIC_COOKIE >>> 16;
    const mask = xorMask(transactionId);
    for (let i = 0; i < address.length; i++) address[i] = address[i]! ^ mask[i]!;
  }
  if (port === 0) return null; // no socket sends from port 0: a broken or hostile answer
  return { host: formatIpAddress({ family: addressBytes === 4 ? 4 : 6, bytes: address }), port };
}

// The magic cookie ‖ transaction id: what an address is xored with (IPv4 uses the first 4 bytes).
function xorMask(transactionId: Uint8Array): Uint8Array {
  const mask = new Uint8Array(4 + STUN_TRANSACTION_ID_BYTES);
  writeUint32(mask, 0, STUN_MAGIC_COOKIE);
  mask.set(transactionId, 4);
  return mask;
}

// ─── bytes ──────────────────────────────────────────────────────────────────────────────────

// A copy even when `bytes` is a Buffer (whose slice() is a view of the same memory).
const copy = (bytes: Uint8Array, start: number, end: number): Uint8Array => new Uint8Array(bytes.subarray(start, end));
const padded = (length: number): number => (length + 3) & ~3;
const readUint16 = (bytes: Uint8Array, offset: number): number => (bytes[offset]! << 8) | bytes[offset + 1]!;
const readUint32 = (bytes: Uint8Array, offset: number): number => ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;

function writeUint16(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = (value >>> 8) & 0xff;
  bytes[offset + 1] = value & 0xff;
}

function writeUint32(bytes: Uint8Array, offset: number, value: number): void {
  writeUint16(bytes, offset, value >>> 16);
  writeUint16(bytes, offset + 2, value & 0xffff);
}

// CRC-32 as in ISO 3309 / zlib (reflected polynomial 0xEDB88320), which FINGERPRINT names
// (§14.7). The table is built on first use: nothing runs at import.
let crcTable: Uint32Array | null = null;

export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) crc = crcTable[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
