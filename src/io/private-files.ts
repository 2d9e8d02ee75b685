// Files only this user may touch: the state directory (keys, databases, sockets) and the unix
// sockets of the admin, status and UAPI APIs.
//
// A socket gets its mode when bind() creates it; a chmod afterwards leaves a window in which any
// local user can connect. So sockets are created under umask 077 and are owner-only (0700: connecting needs write) from birth. A
// state directory made by someone else, or writable by other users (or inside a directory they
// can write without the sticky bit), could have its files swapped under us: refused, naming the
// directory and what to do (the OpenSSH StrictModes rule).

import { lstatSync, mkdirSync, statSync, unlinkSync } from "node:fs";
import type { Server } from "node:net";
import { dirname, resolve } from "node:path";

export class UnsafeDirectoryError extends Error {
  override readonly name = "UnsafeDirectoryError";
}

const GROUP_OR_OTHER_WRITE = 0o022;
const STICKY = 0o1000;
const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, "0");

// Creates `directory` (0700) if needed, then checks it and every ancestor: owned by this user
// or root, and not writable by group or others (an ancestor may be, with the sticky bit, as
// /tmp is). Throws UnsafeDirectoryError otherwise.
export function ensurePrivateDirectory(directory: string): void {
  const path = resolve(directory);
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const uid = process.getuid?.() ?? 0;
  const own = lstatSync(path);
  if (!own.isDirectory()) throw new UnsafeDirectoryError(`${path} is not a directory (a symbolic link?): refusing to keep state there`);
  for (let current = path, first = true; ; current = dirname(current), first = false) {
    const stats = first ? own : statSync(current);
    if (stats.uid !== uid && stats.uid !== 0) {
      throw new UnsafeDirectoryError(`${current} belongs to uid ${stats.uid}, not this user (${uid}) or root: refusing to keep state in ${path}`);
    }
    const openToOthers = (stats.mode & GROUP_OR_OTHER_WRITE) !== 0 && (first || (stats.mode & STICKY) === 0);
    if (openToOthers) {
      throw new UnsafeDirectoryError(
        `${current} is writable by other users (mode ${octal(stats.mode)}): refusing to keep state in ${path}; run chmod go-w ${current} or choose another --state-dir`,
      );
    }
    if (dirname(current) === current) return;
  }
}

// Listens on a unix socket at `path` that is owner-only from the moment it exists (a stale socket
// left by a killed process is replaced). The umask is process-wide: it is narrowed only around
// the bind, and narrowing never makes anything more open.
export async function listenPrivateSocket(server: Server, path: string): Promise<void> {
  try {
    unlinkSync(path);
  } catch {
    // no stale socket
  }
  const previousMask = process.umask(0o077);
  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once("error", reject);
      server.listen(path, () => {
        server.removeListener("error", reject);
        resolveListen();
      });
    });
  } finally {
    process.umask(previousMask);
  }
}
