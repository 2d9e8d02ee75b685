#!/usr/bin/env node
// The `meshgate` command: parses argv, runs one command, exits with its status.

import { ADMIN_USAGE, runAdmin } from "./admin.js";
import { APPLIANCE_USAGE, runAppliance } from "./appliance.js";
import { COORDINATOR_USAGE, runCoordinator, runKeys, runNodes } from "./coordinator.js";
import { DEVICES_USAGE, runDevices } from "./devices.js";
import { DIAGNOSE_USAGE, runNetcheck, runPing } from "./diagnose.js";
import { MESH_USAGE, runDown, runSet, runStatus, runUp, SET_USAGE } from "./mesh.js";
import { UsageError } from "./options.js";
import { packageVersion } from "./package-version.js";
import { ROUTES_USAGE, runRoutes } from "./routes.js";
import { runStart, START_USAGE } from "./start.js";
import { runUpdate, UPDATE_USAGE } from "./update.js";
import { runWg, WG_USAGE } from "./wg.js";

type Write = (line: string) => void;

interface Command {
  readonly summary: string;
  readonly usage: string;
  run(args: readonly string[], write: Write): number | Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  start: { summary: "run the appliance: a coordinator and a node, with embedded defaults", usage: START_USAGE, run: runStart },
  up: { summary: "join the mesh (--coordinator URL --auth-key KEY), or come back to it", usage: MESH_USAGE, run: runUp },
  set: { summary: "change a running node's routes and exit node (the routing flags of up)", usage: SET_USAGE, run: runSet },
  down: { summary: "leave the mesh (this node keeps its identity)", usage: MESH_USAGE, run: runDown },
  status: { summary: "this node and its peers, with the path to each (--json)", usage: MESH_USAGE, run: runStatus },
  netcheck: { summary: "what this node's network allows: UDP, public endpoint, NAT type, relay (--json)", usage: DIAGNOSE_USAGE, run: runNetcheck },
  ping: { summary: "ping a peer through the mesh, with the path each reply took", usage: DIAGNOSE_USAGE, run: runPing },
  coordinator: { summary: "run a mesh coordinator", usage: COORDINATOR_USAGE, run: runCoordinator },
  keys: { summary: "create, list or revoke pre-auth keys (on the coordinator)", usage: COORDINATOR_USAGE, run: runKeys },
  nodes: { summary: "list, remove or expire nodes (on the coordinator)", usage: COORDINATOR_USAGE, run: runNodes },
  routes: { summary: "list, approve or reject subnet routes and exit nodes (on the coordinator)", usage: ROUTES_USAGE, run: runRoutes },
  devices: { summary: "phones and tablets with the stock WireGuard app, reaching the mesh through this node", usage: DEVICES_USAGE, run: runDevices },
  admin: { summary: "set the admin page's password (meshgate admin passwd, from stdin)", usage: ADMIN_USAGE, run: runAdmin },
  appliance: { summary: "the Raspberry Pi image: apply meshgate.conf from the boot partition (first-boot)", usage: APPLIANCE_USAGE, run: runAppliance },
  update: { summary: "install a new version from an update bundle, with rollback (Raspberry Pi image; root), or show its status", usage: UPDATE_USAGE, run: runUpdate },
  wg: { summary: "up/down a plain userspace WireGuard interface from a wg-quick file", usage: WG_USAGE, run: runWg },
  version: { summary: "print the meshgate version", usage: "Usage: meshgate version", run: (_args, write) => (write(version()), 0) },
  help: { summary: "show this help, or a command's (meshgate help up)", usage: "Usage: meshgate help [command]", run: (args, write) => (write(usage(args[0])), 0) },
};

const version = (): string => `meshgate ${packageVersion()}`;

function usage(command?: string): string {
  const known = command === undefined ? undefined : COMMANDS[command];
  if (known !== undefined) return known.usage;
  const lines = Object.entries(COMMANDS).map(([name, entry]) => `  ${name.padEnd(12)} ${entry.summary}`);
  return ["Usage: meshgate <command> [options]", "", "Commands:", ...lines, "", "meshgate help <command> shows a command's options."].join("\n");
}

async function main(argv: readonly string[]): Promise<number> {
  const [name = "help", ...args] = argv;
  const write: Write = (line) => void process.stdout.write(`${line}\n`);
  if (name === "--help" || name === "-h") return COMMANDS["help"]!.run([], write);
  if (name === "--version") return COMMANDS["version"]!.run([], write);
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`meshgate: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  if (args.includes("--help") || args.includes("-h")) return (write(command.usage), 0);
  try {
    return await command.run(args, write);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`meshgate ${name}: ${error.message}${error.message.startsWith("Usage") ? "" : `\n\n${command.usage}`}\n`);
      return 2;
    }
    process.stderr.write(`meshgate ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
