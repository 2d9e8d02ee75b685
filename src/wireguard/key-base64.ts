// WireGuard keys as configuration files write them: 32 bytes in standard base64 (RFC 4648
// section 4), always 44 characters ending in one '='. Like wg(8)'s key_from_base64, decoding
// accepts only the canonical text: the two bits the 43rd character carries past the 32nd byte
// must be zero, so every key has exactly one spelling and keys compare as strings.
//
// Decoding writes straight into a fresh 32-byte array (no Buffer: small Buffers come from a
// shared pool and would leave a copy of a private key behind in it). A private key read from a
// file is decoded from the file's bytes (decodeKeyBytes) and written as bytes
// (encodeKeyBytes), so it never becomes a JS string, which could not be wiped.

export const KEY_BYTES = 32;
const KEY_BASE64_CHARS = 44;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

const EQUALS = 0x3d;

/** Decodes a canonical 44-character base64 key into a new 32-byte array; null if malformed. */
export function decodeKey(base64: string): Uint8Array | null {
  return decodeKeyFrom(base64.length, (index) => base64.charCodeAt(index));
}

/** decodeKey for the key's ASCII bytes (as read from a key file); `ascii` is only read. */
export function decodeKeyBytes(ascii: Uint8Array): Uint8Array | null {
  return decodeKeyFrom(ascii.length, (index) => ascii[index]!);
}

function decodeKeyFrom(length: number, codeAt: (index: number) => number): Uint8Array | null {
  if (length !== KEY_BASE64_CHARS || codeAt(KEY_BASE64_CHARS - 1) !== EQUALS) return null;
  const key = new Uint8Array(KEY_BYTES);
  let bits = 0;
  let bitCount = 0;
  let byteIndex = 0;
  for (let index = 0; index < KEY_BASE64_CHARS - 1; index++) {
    const sextet = sextetOf(codeAt(index));
    if (sextet < 0) return null;
    bits = ((bits << 6) | sextet) & 0xfff;
    bitCount += 6;
    if (bitCount >= 8) {
      bitCount -= 8;
      key[byteIndex++] = (bits >> bitCount) & 0xff;
    }
  }
  // 43 characters carry 258 bits: the last two must be zero padding.
  if ((bits & ((1 << bitCount) - 1)) !== 0) return null;
  return key;
}

/** Encodes a 32-byte key as 44 characters of base64. Throws RangeError for any other length. */
export function encodeKey(key: Uint8Array): string {
  if (key.length !== KEY_BYTES) throw new RangeError(`a WireGuard key is ${KEY_BYTES} bytes, got ${key.length}`);
  // Node's encoder on a Buffer view of the key's own memory (no copy into the pool): ~0.15 µs
  // against ~1.3 µs character by character, and the device looks a peer up by this text in
  // every initiation it consumes.
  return Buffer.from(key.buffer, key.byteOffset, KEY_BYTES).toString("base64");
}

/** encodeKey as 44 ASCII bytes in a fresh array the caller may zero. */
export function encodeKeyBytes(key: Uint8Array): Uint8Array {
  if (key.length !== KEY_BYTES) throw new RangeError(`a WireGuard key is ${KEY_BYTES} bytes, got ${key.length}`);
  const ascii = new Uint8Array(KEY_BASE64_CHARS);
  let out = 0;
  for (let index = 0; index < KEY_BYTES; index += 3) {
    const chunk = ((key[index] ?? 0) << 16) | ((key[index + 1] ?? 0) << 8) | (key[index + 2] ?? 0);
    const charsInChunk = Math.min(3, KEY_BYTES - index) + 1;
    for (let char = 0; char < charsInChunk; char++) ascii[out++] = ALPHABET.charCodeAt((chunk >> (18 - 6 * char)) & 63);
  }
  ascii[out] = EQUALS;
  return ascii;
}

/** The 6-bit value of a base64 character, or -1 for a character outside the alphabet. */
function sextetOf(code: number): number {
  if (code >= 0x41 && code <= 0x5a) return code - 0x41; // A-Z
  if (code >= 0x61 && code <= 0x7a) return code - 0x61 + 26; // a-z
  if (code >= 0x30 && code <= 0x39) return code - 0x30 + 52; // 0-9
  if (code === 0x2b) return 62; // +
  if (code === 0x2f) return 63; // /
  return -1;
}
