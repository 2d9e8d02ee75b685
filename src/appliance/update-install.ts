// `meshgate update <file>`: installs a bundle into the slot that is not running and switches to
// it, with a health check that rolls back. Root only; every path and command comes in
// (UpdateDeps), so tests run it in a temp dir with a fake systemctl.
//
// 1. Lock and copy: <root>/.update-work (0700) is made (its existence is the installer's lock,
//    a leftover older than 10 minutes is cleared); the bundle is copied into it, so a file the
//    meshgate user can write (the admin page's upload) cannot change between check and unpack.
// 2. Check (update-bundle.ts) before touching anything: two tar listings, then manifest.json and
//    node/bin/node unpacked into the work dir for the manifest and the ELF machine.
// 3. Unpack into slots/<other>.new, check its manifest and runtime again, replace slots/<other>.
// 4. <state>/update/pending.env (update-state.ts), flushed: what the check needs to roll back.
// 5. The pointer: symlink current.new → slots/<other>, renamed onto current; the folder flushed.
// 6. Unless --no-restart: systemctl restart meshgate.service, then systemctl start
//    meshgate-update-check.service (a oneshot: it returns once the new version is up healthy or
//    has been rolled back), then last-result.json says which.

import { constants, createWriteStream } from "node:fs";
import { chown, mkdir, open, readFile, rename, rm, stat, symlink, unlink } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { UpdateResult } from "../admin/admin-api.js";
import type { CommandRunner } from "../io/command-runner.js";
import { BUNDLE_MANIFEST, BUNDLE_RUNTIME, BundleError, checkBundleListing, checkManifest, checkRuntimeHeader, MAX_UPDATE_BUNDLE_BYTES, parseTarListing, type Arch, type BundleManifest } from "./update-bundle.js";
import { fsyncDirectory } from "../store/secret-file.js";
import { formatPendingEnv, INCOMING_FILE, LAST_RESULT_FILE, parseLastResult, PENDING_FILE, PENDING_STALE_AFTER_S } from "./update-state.js";
import { currentSlot, otherSlot, readPending, slotDirectory, slotVersion, updateDirectory, writeNewFileSync, type Slot } from "./update-slots.js";

export const MESHGATE_SERVICE = "meshgate.service";
export const UPDATE_CHECK_SERVICE = "meshgate-update-check.service";
export const HEALTH_WAIT_S = 120;
const TAR_TIMEOUT_MS = 10 * 60_000;
const SYSTEMCTL_TIMEOUT_MS = (HEALTH_WAIT_S + 120) * 1000;

export interface UpdateDeps {
  readonly rootDir: string; // /opt/meshgate
  readonly stateDir: string; // /var/lib/meshgate
  readonly arch: Arch; // this machine's
  readonly isRoot: boolean;
  readonly run: CommandRunner; // tar and systemctl
  readonly now: () => number; // ms since the epoch
  readonly progress: (line: string) => void;
}

export interface UpdateOutcome {
  readonly version: string;
  readonly slot: Slot;
  /** null with --no-restart (nothing checked yet); else what the check recorded. */
  readonly result: UpdateResult | null;
}

export class UpdateRefusedError extends Error {
  override readonly name = "UpdateRefusedError";
}

const workDirectory = (rootDir: string): string => join(rootDir, ".update-work");

async function tar(deps: Pick<UpdateDeps, "run">, args: readonly string[]): Promise<string> {
  const result = await deps.run(["tar", ...args], { timeoutMs: TAR_TIMEOUT_MS });
  if (result.code !== 0) throw new BundleError(`tar ${args[0]} failed: ${result.stderr.trim() || `exit status ${result.code}`}`);
  return result.stdout;
}

// Step 1: the lock (an existing work dir younger than the stale limit is another installer).
async function takeWorkDirectory(deps: UpdateDeps): Promise<string> {
  const work = workDirectory(deps.rootDir);
  const existing = await stat(work).catch(() => null);
  if (existing !== null) {
    if (deps.now() - existing.mtimeMs < PENDING_STALE_AFTER_S * 1000) throw new UpdateRefusedError(`another update is being installed (${work} exists); try again when it is done`);
    await rm(work, { recursive: true, force: true });
  }
  await mkdir(work, { mode: 0o700 });
  return work;
}

/** Step 2 on a bundle already in the work dir: its manifest, or BundleError. */
export async function checkBundle(bundle: string, work: string, deps: Pick<UpdateDeps, "arch" | "run">): Promise<BundleManifest> {
  const size = (await stat(bundle)).size;
  if (size > MAX_UPDATE_BUNDLE_BYTES) throw new BundleError(`it is ${size} bytes, more than ${MAX_UPDATE_BUNDLE_BYTES}`);
  const names = await tar(deps, ["-tzf", bundle]);
  const members = parseTarListing(names, await tar(deps, ["-tvzf", bundle, "--numeric-owner", "--full-time"]));
  checkBundleListing(members);
  // The names as the tar spells them ("./manifest.json" or "manifest.json").
  const listed = (path: string): string => names.split("\n").find((name) => name.replace(/^\.\//, "") === path)!;
  const probe = join(work, "probe");
  await mkdir(probe, { mode: 0o700 });
  await tar(deps, ["-xzf", bundle, "-C", probe, "--no-same-owner", listed(BUNDLE_MANIFEST), listed(BUNDLE_RUNTIME)]);
  const manifest = await checkUnpacked(probe, deps.arch);
  await rm(probe, { recursive: true, force: true });
  return manifest;
}

// The manifest and runtime header of an unpacked slot (the probe, then the new slot itself).
async function checkUnpacked(directory: string, arch: Arch): Promise<BundleManifest> {
  const manifest = checkManifest(await readFile(join(directory, BUNDLE_MANIFEST), "utf8"), arch);
  const runtime = await open(join(directory, BUNDLE_RUNTIME), constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const header = new Uint8Array(64);
    const { bytesRead } = await runtime.read(header, 0, header.length, 0);
    checkRuntimeHeader(header.subarray(0, bytesRead), arch);
  } finally {
    await runtime.close();
  }
  return manifest;
}

// <state>/update, made by root where it is missing but owned like the state dir: the daemon
// (user meshgate) drops uploads into it.
async function ensureUpdateDirectory(stateDir: string): Promise<string> {
  const directory = updateDirectory(stateDir);
  if (await stat(directory).then(() => true, () => false)) return directory;
  await mkdir(directory, { recursive: true, mode: 0o755 });
  const owner = await stat(stateDir);
  await chown(directory, owner.uid, owner.gid);
  return directory;
}

const fresh = async (path: string): Promise<void> => {
  await rm(path, { recursive: true, force: true });
};

// Steps 3–5.
async function installIntoOtherSlot(bundle: string, manifest: BundleManifest, deps: UpdateDeps): Promise<{ slot: Slot; previous: Slot }> {
  const previous = await currentSlot(deps.rootDir);
  const slot = otherSlot(previous);
  const target = slotDirectory(deps.rootDir, slot);
  deps.progress(`installing into slot ${slot}…`);
  const staging = `${target}.new`;
  await fresh(staging);
  await mkdir(staging, { mode: 0o755 });
  await tar(deps, ["-xzf", bundle, "-C", staging, "--no-same-owner"]);
  const unpacked = await checkUnpacked(staging, deps.arch);
  if (unpacked.version !== manifest.version) throw new BundleError(`it changed while it was unpacked (${manifest.version}, then ${unpacked.version})`);
  await fresh(target);
  await rename(staging, target);

  const directory = await ensureUpdateDirectory(deps.stateDir);
  const pendingPath = join(directory, PENDING_FILE);
  const part = `${pendingPath}.part`;
  await unlink(part).catch(() => undefined);
  const pending = formatPendingEnv({
    version: manifest.version,
    slot,
    previousSlot: previous,
    previousVersion: (await slotVersion(deps.rootDir, previous)) ?? "unknown",
    startedAt: Math.floor(deps.now() / 1000),
  });
  writeNewFileSync(part, new TextEncoder().encode(pending), 0o644);
  await rename(part, pendingPath);
  fsyncDirectory(directory);

  const pointer = join(deps.rootDir, "current");
  try {
    await unlink(`${pointer}.new`).catch(() => undefined);
    await symlink(`slots/${slot}`, `${pointer}.new`);
    await rename(`${pointer}.new`, pointer);
    fsyncDirectory(deps.rootDir);
  } catch (error) {
    await unlink(pendingPath).catch(() => undefined); // nothing switched: nothing to check
    throw error;
  }
  return { slot, previous };
}

// Step 6: the result the check recorded for this update (not an older one's).
async function restartAndWait(version: string, startedAtMs: number, deps: UpdateDeps): Promise<UpdateResult> {
  deps.progress("restarting meshgate…");
  const restarted = await deps.run(["systemctl", "restart", MESHGATE_SERVICE], { timeoutMs: SYSTEMCTL_TIMEOUT_MS });
  if (restarted.code !== 0) deps.progress(`systemctl restart ${MESHGATE_SERVICE} failed (${restarted.stderr.trim()}); the check decides`);
  deps.progress(`waiting for ${version} to come up healthy (up to ${HEALTH_WAIT_S} s)…`);
  const checked = await deps.run(["systemctl", "start", UPDATE_CHECK_SERVICE], { timeoutMs: SYSTEMCTL_TIMEOUT_MS });
  const text = await readFile(join(updateDirectory(deps.stateDir), LAST_RESULT_FILE), "utf8").catch(() => "");
  const result = parseLastResult(text);
  if (result === null || result.version !== version || result.at * 1000 < startedAtMs - 1000) {
    const why = checked.code === 0 ? "it recorded no result" : `systemctl start ${UPDATE_CHECK_SERVICE} failed: ${checked.stderr.trim()}`;
    throw new Error(`the health check of ${version} did not finish (${why}); see meshgate update status and journalctl -u ${UPDATE_CHECK_SERVICE}`);
  }
  return result;
}

// The bundle into the work dir. An upload lies in a folder the meshgate user owns: it is opened
// without following a symbolic link (a link there could point root at any file).
async function copyIn(file: string, bundle: string, upload: boolean): Promise<void> {
  let source;
  try {
    source = await open(file, constants.O_RDONLY | (upload ? constants.O_NOFOLLOW : 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UpdateRefusedError(`${file} does not exist`);
    if (code === "ELOOP") throw new BundleError(`${file} is a symbolic link`);
    throw error;
  }
  try {
    if (!(await source.stat()).isFile()) throw new BundleError(`${file} is not a file`);
    await pipeline(source.createReadStream({ autoClose: false }), createWriteStream(bundle, { flags: "wx", mode: 0o600 }));
  } finally {
    await source.close();
  }
}

/** Installs `file` (a path root gave, or the admin page's upload with `fromUpload`). */
export async function installUpdate(file: string, options: { readonly restart: boolean; readonly fromUpload?: boolean }, deps: UpdateDeps): Promise<UpdateOutcome> {
  if (!deps.isRoot) throw new UpdateRefusedError("installing an update needs root (sudo meshgate update …)");
  await currentSlot(deps.rootDir); // the image's layout, or a message saying it is not
  const waiting = await readPending(deps.stateDir, deps.now());
  if (waiting !== null && !waiting.stale) {
    throw new UpdateRefusedError(`an update to ${waiting.pending?.version ?? "another version"} is under way (${join(updateDirectory(deps.stateDir), PENDING_FILE)}); wait for it to finish`);
  }
  const startedAtMs = deps.now();
  const work = await takeWorkDirectory(deps);
  try {
    const bundle = join(work, "bundle.tar.gz");
    await copyIn(file, bundle, options.fromUpload === true);
    const manifest = await checkBundle(bundle, work, deps);
    deps.progress(`checking bundle… ${manifest.version} for ${manifest.arch}`);
    const { slot } = await installIntoOtherSlot(bundle, manifest, deps);
    if (!options.restart) return { version: manifest.version, slot, result: null };
    return { version: manifest.version, slot, result: await restartAndWait(manifest.version, startedAtMs, deps) };
  } finally {
    await fresh(work);
    await rm(`${slotDirectory(deps.rootDir, "a")}.new`, { recursive: true, force: true });
    await rm(`${slotDirectory(deps.rootDir, "b")}.new`, { recursive: true, force: true });
  }
}

/** `meshgate update --incoming`: the admin page's upload, deleted afterwards whatever happens. */
export async function installIncoming(options: { readonly restart: boolean }, deps: UpdateDeps): Promise<UpdateOutcome> {
  if (!deps.isRoot) throw new UpdateRefusedError("installing an update needs root (sudo meshgate update --incoming)");
  const incoming = join(updateDirectory(deps.stateDir), INCOMING_FILE);
  try {
    return await installUpdate(incoming, { ...options, fromUpload: true }, deps);
  } finally {
    await unlink(incoming).catch(() => undefined);
  }
}
