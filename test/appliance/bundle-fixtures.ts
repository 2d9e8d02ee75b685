// Real update bundles for the tests, made with the system's tar in a temp dir: a slot's
// manifest.json, node/bin/node (an ELF header for the arch, not a real runtime), the app's
// entry point, and whatever a test adds or changes.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const ELF_MACHINE = { arm64: 183, x64: 62 } as const;

/** The first 64 bytes of a 64-bit little-endian ELF executable for `machine`. */
export function elfHeader(machine: number): Buffer {
  const header = Buffer.alloc(64);
  header.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  header.writeUInt16LE(2, 16); // e_type ET_EXEC
  header.writeUInt16LE(machine, 18);
  return header;
}

export interface SlotContent {
  readonly version?: string;
  readonly manifest?: string; // replaces the manifest's text
  readonly machine?: number; // node/bin/node's e_machine
  readonly omit?: readonly string[]; // paths left out
  readonly files?: Readonly<Record<string, string>>; // more files
  readonly symlinks?: Readonly<Record<string, string>>; // path → target
}

export function tempDir(prefix = "meshgate-update-"): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A slot's tree in `directory`. */
export function writeSlot(directory: string, content: SlotContent = {}): void {
  const version = content.version ?? "0.1.1";
  const files: Record<string, string | Buffer> = {
    "manifest.json": content.manifest ?? JSON.stringify({ name: "meshgate", version, arch: "arm64", node: "22.23.3" }),
    "node/bin/node": elfHeader(content.machine ?? ELF_MACHINE.arm64),
    "app/package.json": JSON.stringify({ name: "meshgate", version }),
    "app/dist/src/cli/main.js": "console.log('meshgate');\n",
    ...content.files,
  };
  for (const [path, text] of Object.entries(files)) {
    if (content.omit?.includes(path)) continue;
    mkdirSync(dirname(join(directory, path)), { recursive: true });
    writeFileSync(join(directory, path), text, { mode: path === "node/bin/node" ? 0o755 : 0o644 });
  }
  mkdirSync(join(directory, "node", "bin"), { recursive: true });
  mkdirSync(join(directory, "app"), { recursive: true });
  for (const [path, target] of Object.entries(content.symlinks ?? {})) {
    mkdirSync(dirname(join(directory, path)), { recursive: true });
    symlinkSync(target, join(directory, path));
  }
}

/**
 * A bundle at `file` of a slot with `content`; `tarArguments` are added to the tar command
 * (e.g. ["-P", "--transform", "s,^app/x,../x,"] to make a member name no tar would write itself).
 */
export function makeBundle(file: string, content: SlotContent = {}, tarArguments: readonly string[] = [], members: readonly string[] = ["manifest.json", "node", "app"]): string {
  const staging = mkdtempSync(join(tmpdir(), "meshgate-slot-"));
  try {
    writeSlot(staging, content);
    execFileSync("tar", ["-czf", file, "-C", staging, ...tarArguments, ...members.filter((member) => !content.omit?.includes(member))], { stdio: ["ignore", "ignore", "ignore"] });
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return file;
}
