// What an update bundle must be before anything on the appliance is touched (no I/O here: the
// installer, update-install.ts, lists the tar and reads the bytes, this file judges them).
//
// A bundle is `meshgate-<version>-<arch>.update.tar.gz`, a gzip tar whose top level is exactly
// one app slot (the layout of /opt/meshgate/slots/a):
//   manifest.json   {"name":"meshgate","version":"0.1.1","arch":"arm64","node":"22.23.3"}
//   node/           the node-linux-<arch> npm package unpacked (node/bin/node is the runtime)
//   app/            package.json, dist/ (app/dist/src/cli/main.js), web/static/, node_modules/
//
// The checks, in the order checkBundleListing and checkManifest apply them:
//   1. every member is manifest.json or under node/ or app/: no absolute path, no `..`, no
//      backslash (GNU tar's listing escapes odd bytes with one), no device, fifo or other type;
//   2. a symbolic link's target stays inside the slot (followed as the kernel would, through the
//      bundle's other links; an absolute target is refused), as does a hard link's; no member
//      lies below a symbolic link of the bundle (extracting it would write where the link points);
//   3. manifest.json, node/bin/node and app/dist/src/cli/main.js are there, as regular files;
//   4. the manifest: name "meshgate", a version of 1–40 of [0-9A-Za-z.+-], the arch of this
//      machine; node/bin/node is an ELF executable for that arch (its header's e_machine).

import { MAX_UPDATE_BUNDLE_BYTES } from "../admin/admin-api.js";

export { MAX_UPDATE_BUNDLE_BYTES };

// All the bundle's files unpacked (its node runtime alone is ~100 MiB): a tar claiming more is
// no bundle of ours, and would fill the SD card.
export const MAX_UNPACKED_BYTES = 2 * 1024 * 1024 * 1024;

export const BUNDLE_RUNTIME = "node/bin/node";
export const BUNDLE_ENTRY_POINT = "app/dist/src/cli/main.js";
export const BUNDLE_MANIFEST = "manifest.json";
const TOP_LEVEL = new Set(["manifest.json", "node", "app"]);
const VERSION = /^[0-9A-Za-z.+-]{1,40}$/;

export class BundleError extends Error {
  override readonly name = "BundleError";
  constructor(problem: string) {
    super(`not a meshgate update bundle: ${problem}`);
  }
}

export type Arch = "arm64" | "x64";

// ELF e_machine values (System V ABI, "Machine" table): EM_X86_64 62, EM_AARCH64 183.
const ELF_MACHINE: Readonly<Record<Arch, number>> = { x64: 62, arm64: 183 };

/** The bundle arch of a Node.js process.arch, or null where meshgate ships no image. */
export function bundleArch(processArch: string): Arch | null {
  return processArch === "arm64" || processArch === "x64" ? processArch : null;
}

export interface TarMember {
  readonly path: string; // as listed, without a leading "./"
  readonly type: "file" | "directory" | "symlink" | "hardlink" | "other";
  readonly size: number;
  readonly linkTarget: string | null; // symlink: its target text; hard link: the member it repeats
}

export interface BundleManifest {
  readonly name: "meshgate";
  readonly version: string;
  readonly arch: Arch;
  readonly node: string | null;
}

// GNU tar's `tar -tvzf FILE --numeric-owner --full-time` line: mode, uid/gid, size, date, time,
// then the name and, for links, " -> target" or " link to target". Names may hold " -> "
// themselves, so the names come from a plain `tar -tzf` listing (same order, one per line) and
// the verbose line only adds the type, the size and what follows the name.
const VERBOSE_LINE = /^(\S)\S{9}\S*\s+\S+\s+(\S+)\s+\S+\s+\S+\s(.*)$/;
const TYPES: Readonly<Record<string, TarMember["type"]>> = { "-": "file", d: "directory", l: "symlink", h: "hardlink" };

/** Pairs the two listings of one tar into members; BundleError when they do not line up. */
export function parseTarListing(names: string, verbose: string): TarMember[] {
  const nameLines = names.split("\n").filter((line) => line !== "");
  const verboseLines = verbose.split("\n").filter((line) => line !== "");
  if (nameLines.length !== verboseLines.length) throw new BundleError(`its two tar listings disagree (${nameLines.length} names, ${verboseLines.length} entries)`);
  return nameLines.map((name, index) => {
    const match = VERBOSE_LINE.exec(verboseLines[index]!);
    if (match === null) throw new BundleError(`tar listed an entry this check cannot read: ${JSON.stringify(verboseLines[index])}`);
    const type = TYPES[match[1]!] ?? "other";
    const rest = match[3]!.trimStart();
    // "rest" starts with the name (trailing "/" of a directory as in the plain listing).
    let linkTarget: string | null = null;
    if (!rest.startsWith(name)) throw new BundleError(`tar listed ${JSON.stringify(name)} in two ways`);
    const suffix = rest.slice(name.length);
    if (type === "symlink" || type === "hardlink") {
      const marker = type === "symlink" ? " -> " : " link to ";
      if (!suffix.startsWith(marker)) throw new BundleError(`the link ${JSON.stringify(name)} has no target in the listing`);
      linkTarget = suffix.slice(marker.length);
      if (type === "hardlink") linkTarget = stripDot(linkTarget);
    }
    const size = /^[0-9]+$/.test(match[2]!) ? Number(match[2]) : 0;
    return { path: stripDot(name), type, size, linkTarget };
  });
}

const stripDot = (path: string): string => (path.startsWith("./") ? path.slice(2) : path);

// A relative path's segments, `.` dropped and `..` applied; null once it climbs above its start.
function normalise(segments: readonly string[]): string[] | null {
  const out: string[] = [];
  for (const segment of segments) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (out.length === 0) return null;
      out.pop();
    } else out.push(segment);
  }
  return out;
}

// Where a path of the bundle lies, or the reason it may not be in one.
function memberProblem(member: TarMember): string | null {
  const path = member.path;
  if (path.startsWith("/")) return `${JSON.stringify(path)} is an absolute path`;
  if (path.includes("\\")) return `${JSON.stringify(path)} has a character that needs escaping`;
  const segments = path.split("/").filter((segment) => segment !== "" && segment !== ".");
  if (segments.includes("..")) return `${JSON.stringify(path)} climbs out of the bundle (..)`;
  if (segments.length === 0) return member.type === "directory" ? null : `an entry without a name`;
  if (!TOP_LEVEL.has(segments[0]!)) return `${JSON.stringify(path)} is outside manifest.json, node/ and app/`;
  if (segments[0] === "manifest.json" && (segments.length > 1 || member.type !== "file")) return "manifest.json is not a plain file";
  if (segments.length === 1 && segments[0] !== "manifest.json" && member.type !== "directory") return `${segments[0]} is not a folder`;
  if (member.type === "other") return `${JSON.stringify(path)} is a device, fifo or other special file`;
  if (member.type === "symlink") {
    const target = member.linkTarget ?? "";
    if (target.startsWith("/")) return `the link ${path} points to an absolute path (${target})`;
    if (target === "") return `the link ${path} has an empty target`;
  }
  if (member.type === "hardlink") {
    const resolved = normalise((member.linkTarget ?? "").split("/"));
    if (resolved === null || resolved.length === 0 || !TOP_LEVEL.has(resolved[0]!) || member.linkTarget!.startsWith("/")) {
      return `the hard link ${path} repeats a file outside the bundle (${member.linkTarget})`;
    }
  }
  return null;
}

const MAX_LINK_HOPS = 40; // Linux's MAXSYMLINKS

// Where `segments` (relative to the slot) really lead once the bundle's own symbolic links are
// followed, as the kernel would after extraction; null when that leaves the slot (or loops).
// Lexical checking is not enough: a link to ".." from app/ is inside, but "link/../x" is not.
function resolveInSlot(segments: readonly string[], links: ReadonlyMap<string, string>, hops = { left: MAX_LINK_HOPS }): string[] | null {
  const out: string[] = [];
  for (const segment of segments) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (out.length === 0) return null;
      out.pop();
      continue;
    }
    out.push(segment);
    const target = links.get(out.join("/"));
    if (target === undefined) continue;
    if (--hops.left < 0 || target.startsWith("/")) return null;
    const resolved = resolveInSlot([...out.slice(0, -1), ...target.split("/")], links, hops);
    if (resolved === null) return null;
    out.splice(0, out.length, ...resolved);
  }
  return out;
}

const clean = (path: string): string => path.split("/").filter((segment) => segment !== "" && segment !== ".").join("/");

/** Checks 1–3 over a bundle's listing; BundleError naming the first problem. */
export function checkBundleListing(members: readonly TarMember[]): void {
  if (members.length === 0) throw new BundleError("the tar is empty");
  let unpacked = 0;
  const files = new Set<string>();
  for (const member of members) {
    const problem = memberProblem(member);
    if (problem !== null) throw new BundleError(problem);
    unpacked += member.size;
    const path = clean(member.path);
    if (member.type === "file") files.add(path);
  }
  if (unpacked > MAX_UNPACKED_BYTES) throw new BundleError(`it unpacks to ${unpacked} bytes, more than ${MAX_UNPACKED_BYTES}`);
  const links = new Map(members.filter((member) => member.type === "symlink").map((member) => [clean(member.path), member.linkTarget!]));
  for (const [path, target] of links) {
    if (resolveInSlot(path.split("/"), links) === null) throw new BundleError(`the link ${path} points outside the bundle (${target})`);
  }
  for (const member of members) {
    const segments = clean(member.path).split("/");
    for (let depth = 1; depth < segments.length; depth++) {
      const above = segments.slice(0, depth).join("/");
      if (links.has(above)) throw new BundleError(`${member.path} lies below the link ${above}`);
    }
  }
  for (const required of [BUNDLE_MANIFEST, BUNDLE_RUNTIME, BUNDLE_ENTRY_POINT]) {
    if (!files.has(required)) throw new BundleError(`${required} is missing (or not a plain file)`);
  }
}

/** Check 4: manifest.json's text, for a machine of `arch`. */
export function checkManifest(text: string, arch: Arch): BundleManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BundleError(`manifest.json is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new BundleError("manifest.json is not a JSON object");
  const fields = parsed as Record<string, unknown>;
  if (fields["name"] !== "meshgate") throw new BundleError(`manifest.json names ${JSON.stringify(fields["name"])}, not "meshgate"`);
  const version = fields["version"];
  if (typeof version !== "string" || !VERSION.test(version)) throw new BundleError(`manifest.json's version ${JSON.stringify(version)} is not 1–40 of 0-9 A-Z a-z . + -`);
  if (fields["arch"] !== arch) throw new BundleError(`it is for ${JSON.stringify(fields["arch"])}, this machine is ${arch}`);
  const node = typeof fields["node"] === "string" ? fields["node"] : null;
  return { name: "meshgate", version, arch, node };
}

// ELF header (System V gABI): e_ident[0..3] = 0x7f 'E' 'L' 'F', e_ident[EI_CLASS=4] 2 = 64-bit,
// e_ident[EI_DATA=5] 1 = little-endian, e_machine = 16-bit at offset 18 in that byte order.
const ELF_HEADER_BYTES = 20;

/** node/bin/node's first bytes (at least 20) for a machine of `arch`. */
export function checkRuntimeHeader(header: Uint8Array, arch: Arch): void {
  if (header.length < ELF_HEADER_BYTES || header[0] !== 0x7f || header[1] !== 0x45 || header[2] !== 0x4c || header[3] !== 0x46) {
    throw new BundleError(`${BUNDLE_RUNTIME} is not an ELF executable`);
  }
  const machine = header[5] === 2 ? (header[18]! << 8) | header[19]! : header[18]! | (header[19]! << 8);
  if (machine !== ELF_MACHINE[arch]) {
    const named = Object.entries(ELF_MACHINE).find(([, value]) => value === machine)?.[0] ?? `ELF machine ${machine}`;
    throw new BundleError(`${BUNDLE_RUNTIME} is built for ${named}, this machine is ${arch}`);
  }
}
