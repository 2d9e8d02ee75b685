// Software updates on the Raspberry Pi image (two app slots, /opt/meshgate/current → one):
//   meshgate update <file> [--root-dir DIR] [--state-dir DIR] [--no-restart]    install (root)
//   meshgate update --incoming [...]     the admin page's upload (what meshgate-update.service runs)
//   meshgate update status [--json] [--root-dir DIR] [--state-dir DIR]
// The work is src/appliance/update-install.ts; this file parses, prints and picks the exit status
// (0 installed, 1 rolled back or failed).

import { formatUpdateStatus } from "../appliance/update-state.js";
import { bundleArch, type Arch } from "../appliance/update-bundle.js";
import { installIncoming, installUpdate, type UpdateDeps, type UpdateOutcome } from "../appliance/update-install.js";
import { readUpdateStatus } from "../appliance/update-slots.js";
import { runCommand, type CommandRunner } from "../io/command-runner.js";
import { parseArguments, UsageError } from "./options.js";

export const DEFAULT_ROOT_DIR = "/opt/meshgate";
export const DEFAULT_STATE_DIR = "/var/lib/meshgate";

export const UPDATE_USAGE = [
  "Usage: meshgate update <file> [--root-dir DIR] [--state-dir DIR] [--no-restart]",
  "       meshgate update --incoming [--root-dir DIR] [--state-dir DIR] [--no-restart]",
  "       meshgate update status [--json] [--root-dir DIR] [--state-dir DIR]",
  "",
  "Installs meshgate-<version>-arm64.update.tar.gz into the app slot that is not running, switches",
  "to it and restarts meshgate; if the new version does not come up healthy within 120 s, the old",
  "one comes back (exit status 1). Root only. --incoming installs the admin page's upload",
  "(DIR/update/incoming.tar.gz of the state dir) and deletes it. --no-restart installs and switches",
  "without restarting (the next start runs the new version, unchecked).",
  "",
  `  --root-dir DIR    where the slots are (default ${DEFAULT_ROOT_DIR})`,
  `  --state-dir DIR   meshgate's state (default ${DEFAULT_STATE_DIR})`,
].join("\n");

export interface UpdateEnvironment {
  readonly isRoot: boolean;
  readonly arch: string; // process.arch
  readonly run: CommandRunner;
  readonly now: () => number;
}

const systemEnvironment = (): UpdateEnvironment => ({ isRoot: process.getuid?.() === 0, arch: process.arch, run: runCommand, now: Date.now });

function describe(outcome: UpdateOutcome): { lines: string[]; status: number } {
  const result = outcome.result;
  if (result === null) {
    return {
      lines: [
        `installed ${outcome.version} into slot ${outcome.slot}; current points to it`,
        `not restarted (--no-restart): systemctl restart meshgate.service runs it, systemctl start meshgate-update-check.service checks it`,
      ],
      status: 0,
    };
  }
  if (result.result === "installed") return { lines: [`meshgate ${result.version} is running (slot ${outcome.slot})${result.previousVersion === null ? "" : `; ${result.previousVersion} stays in the other slot`}`], status: 0 };
  return { lines: [`ROLLED BACK: ${result.version} did not come up healthy (${result.reason ?? "no reason given"}); ${result.previousVersion ?? "the previous version"} runs again`], status: 1 };
}

/** runUpdate with the machine injected (tests pass a temp dir's fakes). */
export async function runUpdateWith(args: readonly string[], write: (line: string) => void, environment: UpdateEnvironment): Promise<number> {
  const parsed = parseArguments(args, { "root-dir": "string", "state-dir": "string", "no-restart": "boolean", incoming: "boolean", json: "boolean" });
  const rootDir = parsed.strings["root-dir"] ?? DEFAULT_ROOT_DIR;
  const stateDir = parsed.strings["state-dir"] ?? DEFAULT_STATE_DIR;
  if (parsed.operands.length === 1 && parsed.operands[0] === "status" && !parsed.flags.has("incoming") && !parsed.flags.has("no-restart")) {
    const status = await readUpdateStatus(rootDir, stateDir, environment.now());
    if (parsed.flags.has("json")) write(JSON.stringify(status, null, 2));
    else for (const line of formatUpdateStatus(status)) write(line);
    return 0;
  }
  const incoming = parsed.flags.has("incoming");
  if (parsed.flags.has("json") || parsed.operands.length !== (incoming ? 0 : 1)) throw new UsageError(UPDATE_USAGE);
  const arch: Arch | null = bundleArch(environment.arch);
  if (arch === null) throw new Error(`there are no meshgate update bundles for this machine (${environment.arch})`);
  const deps: UpdateDeps = { rootDir, stateDir, arch, isRoot: environment.isRoot, run: environment.run, now: environment.now, progress: write };
  const options = { restart: !parsed.flags.has("no-restart") };
  const outcome = incoming ? await installIncoming(options, deps) : await installUpdate(parsed.operands[0]!, options, deps);
  const { lines, status } = describe(outcome);
  for (const line of lines) write(line);
  return status;
}

export const runUpdate = (args: readonly string[], write: (line: string) => void): Promise<number> => runUpdateWith(args, write, systemEnvironment());
