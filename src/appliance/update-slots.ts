// The two app slots on disk and the update files beside the state: what runs, what the other
// slot holds, whether an update is under way, how the last one ended — and the admin page's
// hand-over of an upload to the root installer. Paths come in (tests use a temp dir).
//
//   <root>/slots/a, <root>/slots/b   one slot each: manifest.json, node/, app/
//   <root>/current                   relative symlink "slots/a" or "slots/b"
//   <state>/update/                  pending.env, last-result.json, incoming.tar.gz (update-state.ts)

import { closeSync, constants, fsyncSync, openSync, writeSync } from "node:fs";
import { lstat, mkdir, readFile, readlink, realpath, rename, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { AdminInputError, AdminStateError, MAX_UPDATE_BUNDLE_BYTES, type UpdateSlot, type UpdateStatus } from "../admin/admin-api.js";
import { fsyncDirectory } from "../store/secret-file.js";
import { INCOMING_FILE, LAST_RESULT_FILE, parseLastResult, parsePendingEnv, PENDING_FILE, PENDING_STALE_AFTER_S, type PendingUpdate } from "./update-state.js";

export const SLOTS = ["a", "b"] as const;
export type Slot = (typeof SLOTS)[number];

export const updateDirectory = (stateDir: string): string => join(stateDir, "update");
export const slotDirectory = (rootDir: string, slot: Slot): string => join(rootDir, "slots", slot);

const missing = (error: unknown): boolean => (error as NodeJS.ErrnoException).code === "ENOENT";

/** The slot `current` points at; an Error naming the problem where the layout is not the image's. */
export async function currentSlot(rootDir: string): Promise<Slot> {
  const pointer = join(rootDir, "current");
  let target: string;
  try {
    target = await readlink(pointer);
  } catch (error) {
    throw new Error(`${pointer} is not a symbolic link to slots/a or slots/b (${(error as Error).message}): meshgate is not installed from the Raspberry Pi image here`);
  }
  const slot = /^(?:\.\/)?slots\/([ab])\/?$/.exec(target)?.[1];
  if (slot === undefined) throw new Error(`${pointer} points to ${target}, not slots/a or slots/b`);
  return slot as Slot;
}

export const otherSlot = (slot: Slot): Slot => (slot === "a" ? "b" : "a");

/** A slot's manifest version; null where it has none (empty slot, or not a manifest of ours). */
export async function slotVersion(rootDir: string, slot: Slot): Promise<string | null> {
  try {
    const manifest = JSON.parse(await readFile(join(slotDirectory(rootDir, slot), "manifest.json"), "utf8")) as { version?: unknown };
    return typeof manifest.version === "string" ? manifest.version : null;
  } catch {
    return null;
  }
}

/** pending.env (null: none, or not readable as one), with whether it is a leftover older than 10 minutes. */
export async function readPending(stateDir: string, nowMs: number): Promise<{ pending: PendingUpdate | null; stale: boolean } | null> {
  const path = join(updateDirectory(stateDir), PENDING_FILE);
  let text: string;
  let modifiedMs: number;
  try {
    [text, modifiedMs] = await Promise.all([readFile(path, "utf8"), stat(path).then((stats) => stats.mtimeMs)]);
  } catch (error) {
    if (missing(error)) return null;
    throw error;
  }
  const pending = parsePendingEnv(text);
  const startedMs = pending === null ? modifiedMs : pending.startedAt * 1000;
  return { pending, stale: nowMs - startedMs > PENDING_STALE_AFTER_S * 1000 };
}

export async function readUpdateStatus(rootDir: string, stateDir: string, nowMs: number): Promise<UpdateStatus> {
  const running = await currentSlot(rootDir);
  const slot = async (name: Slot): Promise<UpdateSlot> => ({ slot: name, version: await slotVersion(rootDir, name) });
  const directory = updateDirectory(stateDir);
  const pending = await readPending(stateDir, nowMs);
  const lastResult = await readFile(join(directory, LAST_RESULT_FILE), "utf8").then(parseLastResult, () => null);
  const incoming = await lstat(join(directory, INCOMING_FILE)).then(() => true, () => false);
  return {
    current: await slot(running),
    other: await slot(otherSlot(running)),
    pending: pending?.pending === null || pending === null || pending.stale ? null : pending.pending,
    incoming,
    lastResult,
  };
}

/** Whether the code at `appDir` is the app of the slot `<root>/current` points at (updates work only there). */
export async function runsFromSlot(rootDir: string, appDir: string): Promise<boolean> {
  try {
    return (await realpath(join(rootDir, "current", "app"))) === (await realpath(appDir));
  } catch {
    return false;
  }
}

/** Writes and flushes `bytes` to a new file (refusing to follow or reuse whatever is at `path`). */
export function writeNewFileSync(path: string, bytes: Uint8Array, mode: number): void {
  const descriptor = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    for (let written = 0; written < bytes.length; ) written += writeSync(descriptor, bytes, written, bytes.length - written);
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
}

// gzip member header (RFC 1952 §2.3.1): ID1 0x1f, ID2 0x8b.
const isGzip = (bytes: Uint8Array): boolean => bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;

/**
 * The admin page's upload: checked (size, gzip), written to <state>/update/incoming.tar.gz.part,
 * flushed and renamed to incoming.tar.gz, which a root systemd path unit turns into
 * `meshgate update --incoming`. Runs as the daemon's user, which owns the state directory.
 */
export async function stageUpload(stateDir: string, upload: { readonly name: string; readonly bytes: Uint8Array }, nowMs: number): Promise<void> {
  const { bytes } = upload;
  if (bytes.length === 0) throw new AdminInputError("bundle", "choose an update file (meshgate-<version>-arm64.update.tar.gz)");
  if (bytes.length > MAX_UPDATE_BUNDLE_BYTES) throw new AdminInputError("bundle", `the file is larger than ${MAX_UPDATE_BUNDLE_BYTES / 1024 / 1024} MiB: no meshgate update is`);
  if (!isGzip(bytes)) throw new AdminInputError("bundle", `${upload.name || "the file"} is not a gzip file: an update is meshgate-<version>-arm64.update.tar.gz`);
  const pending = await readPending(stateDir, nowMs);
  if (pending !== null && !pending.stale) throw new AdminStateError(`an update to ${pending.pending?.version ?? "a new version"} is being installed: wait for it to finish`);
  const directory = updateDirectory(stateDir);
  await mkdir(directory, { recursive: true, mode: 0o755 });
  const incoming = join(directory, INCOMING_FILE);
  const waiting = await stat(incoming).then((stats) => stats.mtimeMs, () => null);
  if (waiting !== null && nowMs - waiting < PENDING_STALE_AFTER_S * 1000) throw new AdminStateError("an uploaded update is waiting to be installed: wait for it to finish");
  const part = `${incoming}.part`;
  await unlink(part).catch((error: unknown) => { if (!missing(error)) throw error; });
  writeNewFileSync(part, bytes, 0o644);
  await rename(part, incoming);
  fsyncDirectory(directory);
}
