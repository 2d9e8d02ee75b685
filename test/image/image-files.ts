// The built Raspberry Pi image, read and edited from outside as a person with a card reader
// would: its partition table (sfdisk), the FAT boot partition (mtools, no mounting) and the
// ext4 root (debugfs on a copy of the partition).

import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { capability, tool, type Need } from "../requirements.js";

const REPO = join(import.meta.dirname, "..", "..", "..");
export const VERSION = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string }).version;
export const OUT_DIR = join(REPO, "image", "out");
export const IMAGE = join(OUT_DIR, `meshgate-${VERSION}-arm64.img`);
export const UPDATE_BUNDLE = join(OUT_DIR, `meshgate-${VERSION}-arm64.update.tar.gz`);

export const BUILT_IMAGE: Need = capability(IMAGE, "npm run image (as root) builds it; npm run test:image builds it first", () => existsSync(IMAGE));
export const IMAGE_TOOLS: readonly Need[] = [tool("sfdisk"), tool("mcopy"), tool("debugfs"), tool("zstd")];

export interface Partition {
  readonly start: number; // in 512-byte sectors
  readonly size: number;
  readonly type: string;
  readonly bootable: boolean;
}

export function partitions(image: string): Partition[] {
  const table = JSON.parse(execFileSync("sfdisk", ["--json", image], { encoding: "utf8" })) as {
    partitiontable: { label: string; partitions: { start: number; size: number; type: string; bootable?: boolean }[] };
  };
  if (table.partitiontable.label !== "dos") throw new Error(`partition table is ${table.partitiontable.label}, not dos (MBR)`);
  return table.partitiontable.partitions.map((p) => ({ start: p.start, size: p.size, type: p.type, bootable: p.bootable === true }));
}

// mtools' way of naming a FAT file system at an offset inside a file.
function fatSpec(image: string): string {
  const [boot] = partitions(image);
  if (boot === undefined) throw new Error(`${image} has no partitions`);
  return `${image}@@${boot.start * 512}`;
}

const mtoolsEnv = { ...process.env, MTOOLS_SKIP_CHECK: "1" };

export function fatFiles(image: string): string[] {
  return execFileSync("mdir", ["-b", "-i", fatSpec(image), "::/"], { encoding: "utf8", env: mtoolsEnv })
    .split("\n").map((line) => line.trim().replace(/^::\//, "")).filter((line) => line !== "");
}

export function fatLabel(image: string): string {
  return execFileSync("mlabel", ["-s", "-i", fatSpec(image), "::"], { encoding: "utf8", env: mtoolsEnv }).replace(/^.*is\s+/, "").trim();
}

/** A file of the boot partition, or null when it is not there. */
export function readFatFile(image: string, name: string): Buffer | null {
  try {
    return execFileSync("mcopy", ["-n", "-i", fatSpec(image), `::/${name}`, "-"], { env: mtoolsEnv, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 512 * 1024 * 1024 });
  } catch {
    return null;
  }
}

export function writeFatFile(image: string, name: string, content: string | Buffer, scratchDir: string): void {
  const local = join(scratchDir, `fat-${name}`);
  writeFileSync(local, content);
  execFileSync("mcopy", ["-o", "-i", fatSpec(image), local, `::/${name}`], { env: mtoolsEnv });
}

/** The kernel and initramfs the Pi's firmware loads, as config.txt names them. */
export function bootKernelFiles(image: string): { kernel: string; initramfs: string } {
  const config = readFatFile(image, "config.txt")?.toString("utf8") ?? "";
  const kernel = /^kernel=(\S+)/m.exec(config)?.[1];
  const initramfs = /^initramfs\s+(\S+)/m.exec(config)?.[1];
  if (kernel === undefined || initramfs === undefined) throw new Error("config.txt names no kernel= and initramfs");
  return { kernel, initramfs };
}

/** The root partition copied out (sparse) to `destination`, for debugfs. */
export function extractRootPartition(image: string, destination: string): string {
  const root = partitions(image)[1];
  if (root === undefined) throw new Error(`${image} has no second partition`);
  execFileSync("dd", [`if=${image}`, `of=${destination}`, "bs=4M", `skip=${root.start * 512}`, `count=${root.size * 512}`, "iflag=skip_bytes,count_bytes", "conv=sparse", "status=none"]);
  return destination;
}

/** debugfs -R COMMAND on an ext4 file system image (read-only). */
export function debugfs(fileSystem: string, command: string): string {
  return execFileSync("debugfs", ["-R", command, fileSystem], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** A file of the root file system (following no links), or null. */
export function readRootFile(fileSystem: string, path: string): Buffer | null {
  const content = execFileSync("debugfs", ["-R", `cat ${path}`, fileSystem], { stdio: ["ignore", "pipe", "pipe"], maxBuffer: 256 * 1024 * 1024 });
  return content.length === 0 ? null : content;
}

/** Where a symbolic link of the root file system points, or null if it is not one. */
export function rootLinkTarget(fileSystem: string, path: string): string | null {
  const stat = debugfs(fileSystem, `stat ${path}`);
  const fast = /Fast link dest:\s*"([^"]*)"/.exec(stat);
  if (fast) return fast[1]!;
  if (!/Type: symlink/.test(stat)) return null;
  return readRootFile(fileSystem, path)?.toString("utf8") ?? null;
}

/** ELF e_machine of a program: 183 is AArch64, 62 x86-64. */
export function elfMachine(program: Buffer): number {
  if (program.subarray(0, 4).toString("latin1") !== "\x7fELF") throw new Error("not an ELF file");
  return program.readUInt16LE(18);
}
