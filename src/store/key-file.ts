// The static private key of a node or of the coordinator lives in a file of its own, never in a
// database (a database gets copied for backups and debugging; a key must not travel with it).
// The format is wg(8)'s: 44 characters of base64 and a newline, so `wg pubkey < file` works and
// a key made by `wg genkey > file` can be used as is. The file must be 0600, like wg-quick's.
//
// The file is written atomically and checked for its mode by secret-file.ts.
//
// The private key is read into a fresh array that is zeroed after decoding, and decoded from its
// bytes, never through a string (small Buffers come from a shared pool and would leave a copy
// behind; a string cannot be wiped). Writing goes the same way. Messages never include the
// file's content. The caller owns (and should zero, when done) the key returned.

import { decodeKeyBytes, encodeKeyBytes } from "../wireguard/key-base64.js";
import { StoreError } from "./errors.js";
import { readSecretFile, writeSecretFile } from "./secret-file.js";

// 44 characters and a newline, with room for a "\r\n" or trailing spaces an editor may add.
const KEY_FILE_MAX_BYTES = 64;
// Read this much, so that a longer file is named as "no key" rather than as too long.
const KEY_FILE_READ_BYTES = 4096;
const WHAT = "private key file";

/**
 * Returns the 32-byte private key stored at `path`; if there is no file, stores the key
 * `generate()` returns (32 bytes, owned by the caller afterwards) and returns it. Throws
 * StoreError, with the fix, for a file other users may access or one that holds no valid key.
 */
export function loadOrCreateKeyFile(path: string, generate: () => Uint8Array): Uint8Array {
  const existing = readKeyFile(path);
  if (existing !== null) return existing;
  const key = generate();
  writeKeyFile(path, key);
  return key;
}

function readKeyFile(path: string): Uint8Array | null {
  const bytes = readSecretFile(path, KEY_FILE_READ_BYTES, WHAT);
  if (bytes === null) return null;
  try {
    let length = bytes.length;
    while (length > 0 && isTrailingSpace(bytes[length - 1]!)) length--;
    const key = length > KEY_FILE_MAX_BYTES ? null : decodeKeyBytes(bytes.subarray(0, length));
    if (key === null) {
      throw new StoreError(
        path,
        "does not hold a WireGuard private key (44 base64 characters and a newline, as `wg genkey` writes): restore the right file, or remove it to have meshgate generate a new key",
      );
    }
    return key;
  } finally {
    bytes.fill(0);
  }
}

// What an editor may leave after the key: newline, carriage return, spaces, tabs.
function isTrailingSpace(byte: number): boolean {
  return byte === 0x0a || byte === 0x0d || byte === 0x20 || byte === 0x09;
}

function writeKeyFile(path: string, key: Uint8Array): void {
  // encodeKeyBytes throws for a key of the wrong length, before anything is written.
  const encoded = encodeKeyBytes(key);
  const line = new Uint8Array(encoded.length + 1);
  line.set(encoded);
  line[encoded.length] = 0x0a;
  encoded.fill(0);
  try {
    writeSecretFile(path, line, WHAT);
  } finally {
    line.fill(0);
  }
}
