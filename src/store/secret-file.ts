// Small secret files of their own (a private key, the admin password's hash, a token): 0600,
// never in a database (a database gets copied for backups and debugging; a secret must not
// travel with it). Writing is atomic, so a power cut leaves the old file or the new one, never
// an empty one:
// 1. write to a temporary file (0600, created exclusively) in the same directory;
// 2. fsync it, so its bytes are on disk before its name is;
// 3. rename it over the final name (atomic within one filesystem);
// 4. fsync the directory, so the rename itself survives.
// Messages never include a file's content.

import { closeSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { StoreError } from "./errors.js";

const SECRET_FILE_MODE = 0o600;
// Permission bits for the group and for others: any of them set lets another user read or
// replace the secret.
const GROUP_OTHER_BITS = 0o077;

/** Writes `bytes` to `path` atomically, 0600 (the caller wipes `bytes` if it must). `what` names the file in errors. */
export function writeSecretFile(path: string, bytes: Uint8Array, what: string): void {
  const directory = dirname(path);
  const temporary = join(directory, `.${basename(path)}.${process.pid}.tmp`);
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    // A crash of an earlier process with the same pid may have left one behind.
    rmSync(temporary, { force: true });
    const fd = openSync(temporary, "wx", SECRET_FILE_MODE);
    try {
      writeFileSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
    fsyncDirectory(directory);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new StoreError(path, `cannot create the ${what} (${errorCode(error)}): check that meshgate's user may write to ${directory}`, { cause: error });
  }
}

/**
 * The bytes of `path` (at most `maxBytes`; more is an error), or null when there is no file.
 * Throws StoreError, with the fix, for a file other users may access or that is no regular file.
 * The caller owns (and should wipe) the array returned.
 */
export function readSecretFile(path: string, maxBytes: number, what: string): Uint8Array | null {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    if (errorCode(error) === "ENOENT") return null;
    throw new StoreError(path, `cannot read the ${what} (${errorCode(error)}): check that meshgate's user owns it`, { cause: error });
  }
  const buffer = new Uint8Array(maxBytes + 1);
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new StoreError(path, `is not a regular file: remove it so meshgate can create the ${what} there`);
    const mode = stats.mode & 0o777;
    if ((mode & GROUP_OTHER_BITS) !== 0) {
      throw new StoreError(
        path,
        `the ${what} is accessible to other users (mode ${mode.toString(8).padStart(4, "0")}): run \`chmod 600 ${path}\`, and replace it if someone else may have read it`,
      );
    }
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > maxBytes) throw new StoreError(path, `is longer than a ${what} can be (${maxBytes} bytes): restore the right file, or remove it`);
    return buffer.slice(0, length);
  } finally {
    buffer.fill(0);
    closeSync(fd);
  }
}

/** Removes `path` if it is there. */
export function removeSecretFile(path: string): void {
  try {
    unlinkSync(path);
    fsyncDirectory(dirname(path));
  } catch (error) {
    if (errorCode(error) !== "ENOENT") throw new StoreError(path, `cannot remove it (${errorCode(error)})`, { cause: error });
  }
}

/** Flushes a directory's entries (a new or renamed file in it) to disk. */
export function fsyncDirectory(directory: string): void {
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
