// The Raspberry Pi image's OS integration (src/appliance):
//   meshgate appliance first-boot [--boot-dir DIR] [--root DIR] [--state-dir DIR] [--owner USER]
//       applies meshgate.conf from the boot partition, once (a root oneshot runs it on every
//       boot, before meshgate.service); without the file it does nothing. Exits 0 even when the
//       file is wrong: the Pi must still boot, and the errors are on the card and the console.
//   meshgate appliance hash-password
//       reads a password (stdin, or asked twice at a terminal) and prints the line
//       admin_password_hash takes, so the password itself need not go on the card.

import { execFile } from "node:child_process";
import { chownSync } from "node:fs";
import { hashPassword, passwordProblem } from "../admin/password.js";
import { runFirstBoot, type CommandRunner } from "../appliance/first-boot.js";
import { createSystemRandom } from "../io/system-random.js";
import { readNewPassword } from "./admin.js";
import { parseArguments, UsageError } from "./options.js";

export const APPLIANCE_USAGE = [
  "Usage: meshgate appliance first-boot [options]   apply meshgate.conf from the boot partition (root)",
  "       meshgate appliance hash-password          print an admin_password_hash line for meshgate.conf",
  "",
  "first-boot options:",
  "  --boot-dir DIR    where meshgate.conf is (default /boot/firmware)",
  "  --root DIR        prefix of /etc and /root (default /)",
  "  --state-dir DIR   meshgate's state (default /var/lib/meshgate)",
  "  --owner USER      the daemon's user: what is written in the state gets it (default meshgate)",
  "Without meshgate.conf nothing happens. A wrong file changes nothing: its errors go to",
  "meshgate-config-errors.txt beside it. Once applied, the file is replaced by meshgate.conf.applied",
  "without its passwords and keys. image/meshgate.conf.example documents the settings.",
].join("\n");

const COMMAND_TIMEOUT_MS = 60_000;

// execFile with an argv (no shell); the error says what the program printed.
const runCommand: CommandRunner = (file, args) =>
  new Promise((resolve, reject) => {
    execFile(file, [...args], { timeout: COMMAND_TIMEOUT_MS }, (error, _stdout, stderr) => {
      if (error === null) return resolve();
      const code = (error as NodeJS.ErrnoException).code;
      const detail = code === "ENOENT" ? "not installed" : String(stderr).trim().split("\n").pop() || error.message;
      reject(new Error(`${[file, ...args].join(" ")}: ${detail}`));
    });
  });

async function runFirstBootCommand(args: readonly string[], write: (line: string) => void): Promise<number> {
  const parsed = parseArguments(args, { "boot-dir": "string", root: "string", "state-dir": "string", owner: "string" });
  if (parsed.operands.length > 0) throw new UsageError(APPLIANCE_USAGE);
  if (process.getuid?.() !== 0) throw new Error("first-boot changes /etc, root's SSH keys and services: run it as root (the image's meshgate-first-boot.service does)");
  const random = createSystemRandom();
  await runFirstBoot({
    bootDir: parsed.strings["boot-dir"] ?? "/boot/firmware",
    root: parsed.strings["root"] ?? "/",
    stateDir: parsed.strings["state-dir"] ?? "/var/lib/meshgate",
    owner: parsed.strings["owner"] ?? "meshgate",
    run: runCommand,
    chown: chownSync,
    random: (bytes) => random.bytes(bytes),
    now: () => new Date(),
    write,
  });
  return 0;
}

export async function runAppliance(args: readonly string[], write: (line: string) => void): Promise<number> {
  const [action, ...rest] = args;
  if (action === "first-boot") return runFirstBootCommand(rest, write);
  if (action === "hash-password" && rest.length === 0) {
    const password = await readNewPassword();
    const problem = passwordProblem(password);
    if (problem !== null) throw new UsageError(`the password is too weak: ${problem}`);
    const random = createSystemRandom();
    write(await hashPassword(password, (bytes) => random.bytes(bytes)));
    return 0;
  }
  throw new UsageError(APPLIANCE_USAGE);
}
