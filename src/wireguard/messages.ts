// The four WireGuard messages on the wire (whitepaper §5.4.2–§5.4.6). Every message starts
// with a little-endian u32 whose low byte is the type and whose three high bytes are zero;
// all integers are little-endian. Decoders check type and exact length and return views into
// the given bytes (no copy), or null; they never throw on network input.

export const MESSAGE_INITIATION = 1;
export const MESSAGE_RESPONSE = 2;
export const MESSAGE_COOKIE_REPLY = 3;
export const MESSAGE_TRANSPORT = 4;
export type MessageType = 1 | 2 | 3 | 4;

// Handshake initiation, 148 bytes:
//   0     4        8           40             88                116    132    148
//   |type |sender  |ephemeral  |static (AEAD) |timestamp (AEAD) |mac1  |mac2  |
//   |1    |u32     |32         |32 + 16       |12 + 16          |16    |16    |
export const INITIATION_BYTES = 148;
// Handshake response, 92 bytes:
//   0     4        8          12          44             60    76    92
//   |type |sender  |receiver  |ephemeral  |empty (AEAD)  |mac1 |mac2 |
//   |2    |u32     |u32       |32         |0 + 16        |16   |16   |
export const RESPONSE_BYTES = 92;
// Cookie reply, 64 bytes:
//   0     4          8       32                     64
//   |type |receiver  |nonce  |cookie (XAEAD)        |
//   |3    |u32       |24     |16 + 16               |
export const COOKIE_REPLY_BYTES = 64;
// Transport data, 32 bytes or more: type 4, receiver u32, counter u64, then the sealed packet
// (decoded by the WASM core, assembly/transport.ts).

// mac1 covers the message up to mac1; mac2 covers it up to mac2 (whitepaper §5.4.4).
export const MAC_BYTES = 16;

export interface Initiation {
  readonly senderIndex: number;
  readonly ephemeral: Uint8Array;
  readonly encryptedStatic: Uint8Array;
  readonly encryptedTimestamp: Uint8Array;
  readonly mac1: Uint8Array;
  readonly mac2: Uint8Array;
}

export interface Response {
  readonly senderIndex: number;
  readonly receiverIndex: number;
  readonly ephemeral: Uint8Array;
  readonly encryptedNothing: Uint8Array;
  readonly mac1: Uint8Array;
  readonly mac2: Uint8Array;
}

export interface CookieReply {
  readonly receiverIndex: number;
  readonly nonce: Uint8Array;
  readonly encryptedCookie: Uint8Array;
}

// The message type if the first four bytes are a known type followed by three zero bytes.
export function messageType(bytes: Uint8Array): MessageType | null {
  if (bytes.length < 4 || bytes[1] !== 0 || bytes[2] !== 0 || bytes[3] !== 0) return null;
  const type = bytes[0];
  return type === 1 || type === 2 || type === 3 || type === 4 ? type : null;
}

// Little-endian u32s by byte, not through a DataView: reaching `.buffer` of a small new array
// makes V8 move it off its heap, which cost more than the rest of encoding a cookie reply
// (under a flood, one per datagram).
function u32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0;
}

function putU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff;
  bytes[offset + 1] = (value >>> 8) & 0xff;
  bytes[offset + 2] = (value >>> 16) & 0xff;
  bytes[offset + 3] = (value >>> 24) & 0xff;
}

function header(type: MessageType, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  bytes[0] = type;
  return bytes;
}

function requireLength(name: string, field: Uint8Array, length: number): void {
  if (field.length !== length) throw new RangeError(`${name} must be ${length} bytes, got ${field.length}`);
}

// The sender index of an initiation or response (both keep it at bytes 4–7), read without
// decoding the rest: the DoS checks need only this.
export function senderIndexOf(bytes: Uint8Array): number {
  return u32(bytes, 4);
}

export function decodeInitiation(bytes: Uint8Array): Initiation | null {
  if (bytes.length !== INITIATION_BYTES || messageType(bytes) !== MESSAGE_INITIATION) return null;
  return {
    senderIndex: u32(bytes, 4),
    ephemeral: bytes.subarray(8, 40),
    encryptedStatic: bytes.subarray(40, 88),
    encryptedTimestamp: bytes.subarray(88, 116),
    mac1: bytes.subarray(116, 132),
    mac2: bytes.subarray(132, 148),
  };
}

// Encodes an initiation with zero MACs; the cookie module fills mac1/mac2 over these bytes.
export function encodeInitiation(m: Omit<Initiation, "mac1" | "mac2">): Uint8Array {
  requireLength("ephemeral", m.ephemeral, 32);
  requireLength("encryptedStatic", m.encryptedStatic, 48);
  requireLength("encryptedTimestamp", m.encryptedTimestamp, 28);
  const bytes = header(MESSAGE_INITIATION, INITIATION_BYTES);
  putU32(bytes, 4, m.senderIndex);
  bytes.set(m.ephemeral, 8);
  bytes.set(m.encryptedStatic, 40);
  bytes.set(m.encryptedTimestamp, 88);
  return bytes;
}

export function decodeResponse(bytes: Uint8Array): Response | null {
  if (bytes.length !== RESPONSE_BYTES || messageType(bytes) !== MESSAGE_RESPONSE) return null;
  return {
    senderIndex: u32(bytes, 4),
    receiverIndex: u32(bytes, 8),
    ephemeral: bytes.subarray(12, 44),
    encryptedNothing: bytes.subarray(44, 60),
    mac1: bytes.subarray(60, 76),
    mac2: bytes.subarray(76, 92),
  };
}

export function encodeResponse(m: Omit<Response, "mac1" | "mac2">): Uint8Array {
  requireLength("ephemeral", m.ephemeral, 32);
  requireLength("encryptedNothing", m.encryptedNothing, 16);
  const bytes = header(MESSAGE_RESPONSE, RESPONSE_BYTES);
  putU32(bytes, 4, m.senderIndex);
  putU32(bytes, 8, m.receiverIndex);
  bytes.set(m.ephemeral, 12);
  bytes.set(m.encryptedNothing, 44);
  return bytes;
}

export function decodeCookieReply(bytes: Uint8Array): CookieReply | null {
  if (bytes.length !== COOKIE_REPLY_BYTES || messageType(bytes) !== MESSAGE_COOKIE_REPLY) return null;
  return { receiverIndex: u32(bytes, 4), nonce: bytes.subarray(8, 32), encryptedCookie: bytes.subarray(32, 64) };
}

export function encodeCookieReply(m: CookieReply): Uint8Array {
  requireLength("nonce", m.nonce, 24);
  requireLength("encryptedCookie", m.encryptedCookie, 32);
  const bytes = header(MESSAGE_COOKIE_REPLY, COOKIE_REPLY_BYTES);
  putU32(bytes, 4, m.receiverIndex);
  bytes.set(m.nonce, 8);
  bytes.set(m.encryptedCookie, 32);
  return bytes;
}
