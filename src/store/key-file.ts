// The static private key of a node or of the coordinator lives in a file of its own, never in a
// database (a database gets copied for backups and debugging; a key must not travel with it).
// The format is wg(8)'s: 44 characters of base64 and a newline, so `wg pubkey < file` works and
// a key made by `wg genkey > file` can be used as is. The file must be 0600, like wg-quick's.
//
// Creating the file, so a power cut leaves either no file or the whole key, never an empty one:
// 1. write the key to a temporary file (0600, created exclusively) in the same directory;
// 2. fsync it, so its bytes are on disk before its name is;
// 3. rename it over the final name (atomic within one filesystem);
// 4. fsync the directory, so the rename itself survives.
//
// The private key is read into a fresh array that is zeroed after decoding, and decoded from its
// bytes, never through a string (small Buffers come from a shared pool and would leave a copy
// behind; a string cannot be wiped). Writing goes the same way. Messages never include the
// file's content. The caller owns (and should zero, when done) the key returned.

import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { decodeKeyBytes, encodeKeyBytes } from "../wireguard/key-base64.js";
import { StoreError } from "./errors.js";

// 44 characters and a newline, with room for a "\r\n" or trailing spaces an editor may add.
const KEY_FILE_MAX_BYTES = 64;
const KEY_FILE_MODE = 0o600;
// Permission bits for the group and for others: any of them set lets another user read or
// replace the key.
const GROUP_OTHER_BITS = 0o077;

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
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    if (errorCode(error) === "ENOENT") return null;
    throw new StoreError(path, `cannot read the private key file (${errorCode(error)}): check that meshgate's user owns it`, { cause: error });
  }
  const buffer = new Uint8Array(KEY_FILE_MAX_BYTES + 1);
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new StoreError(path, "is not a regular file: remove it so meshgate can create the private key there");
    const mode = stats.mode & 0o777;
    if ((mode & GROUP_OTHER_BITS) !== 0) {
      throw new StoreError(
        path,
        `the private key file is accessible to other users (mode ${mode.toString(8).padStart(4, "0")}): run \`chmod 600 ${path}\`, and replace the key if someone else may have read it`,
      );
    }
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    while (length > 0 && isTrailingSpace(buffer[length - 1]!)) length--;
    const key = length > KEY_FILE_MAX_BYTES ? null : decodeKeyBytes(buffer.subarray(0, length));
    if (key === null) {
      throw new StoreError(
        path,
        "does not hold a WireGuard private key (44 base64 characters and a newline, as `wg genkey` writes): restore the right file, or remove it to have meshgate generate a new key",
      );
    }
    return key;
  } finally {
    buffer.fill(0);
    closeSync(fd);
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
  const directory = dirname(path);
  const temporary = join(directory, `.${basename(path)}.${process.pid}.tmp`);
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    // A crash of an earlier process with the same pid may have left one behind.
    rmSync(temporary, { force: true });
    const fd = openSync(temporary, "wx", KEY_FILE_MODE);
    try {
      writeFileSync(fd, line);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
    fsyncDirectory(directory);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new StoreError(path, `cannot create the private key file (${errorCode(error)}): check that meshgate's user may write to ${directory}`, { cause: error });
  } finally {
    line.fill(0);
  }
}

function fsyncDirectory(directory: string): void {
  const fd = openSync(directory, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException | undefined)?.code ?? String(error);
}
