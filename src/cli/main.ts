#!/usr/bin/env -S node --max-semi-space-size=1
// The `meshgate` command: parses argv, runs one command, exits with its status.

import { UsageError } from "./options.js";
import { packageVersion } from "./package-version.js";

type Write = (line: string) => void;

interface Runner {
  readonly usage: string;
  run(args: readonly string[], write: Write): number | Promise<number>;
}

// A command's module is imported only when that command runs (or its help is asked for): a
// long-running `meshgate wg up` must not carry the coordinator, the admin page and SQLite in
// its memory.
interface Command {
  readonly summary: string;
  load(): Promise<Runner>;
}

const COMMANDS: Record<string, Command> = {
  start: { summary: "run the appliance: a coordinator and a node, with embedded defaults", load: async () => { const m = await import("./start.js"); return { usage: m.START_USAGE, run: m.runStart }; } },
  up: { summary: "join the mesh (--coordinator URL --auth-key KEY), or come back to it", load: async () => { const m = await import("./mesh.js"); return { usage: m.MESH_USAGE, run: m.runUp }; } },
  set: { summary: "change a running node's routes and exit node (the routing flags of up)", load: async () => { const m = await import("./mesh.js"); return { usage: m.SET_USAGE, run: m.runSet }; } },
  down: { summary: "leave the mesh (this node keeps its identity)", load: async () => { const m = await import("./mesh.js"); return { usage: m.MESH_USAGE, run: m.runDown }; } },
  status: { summary: "this node and its peers, with the path to each (--json)", load: async () => { const m = await import("./mesh.js"); return { usage: m.MESH_USAGE, run: m.runStatus }; } },
  netcheck: { summary: "what this node's network allows: UDP, public endpoint, NAT type, relay (--json)", load: async () => { const m = await import("./diagnose.js"); return { usage: m.DIAGNOSE_USAGE, run: m.runNetcheck }; } },
  ping: { summary: "ping a peer through the mesh, with the path each reply took", load: async () => { const m = await import("./diagnose.js"); return { usage: m.DIAGNOSE_USAGE, run: m.runPing }; } },
  coordinator: { summary: "run a mesh coordinator", load: async () => { const m = await import("./coordinator.js"); return { usage: m.COORDINATOR_USAGE, run: m.runCoordinator }; } },
  keys: { summary: "create, list or revoke pre-auth keys (on the coordinator)", load: async () => { const m = await import("./coordinator.js"); return { usage: m.COORDINATOR_USAGE, run: m.runKeys }; } },
  nodes: { summary: "list, remove or expire nodes (on the coordinator)", load: async () => { const m = await import("./coordinator.js"); return { usage: m.COORDINATOR_USAGE, run: m.runNodes }; } },
  routes: { summary: "list, approve or reject subnet routes and exit nodes (on the coordinator)", load: async () => { const m = await import("./routes.js"); return { usage: m.ROUTES_USAGE, run: m.runRoutes }; } },
  devices: { summary: "phones and tablets with the stock WireGuard app, reaching the mesh through this node", load: async () => { const m = await import("./devices.js"); return { usage: m.DEVICES_USAGE, run: m.runDevices }; } },
  admin: { summary: "set the admin page's password (meshgate admin passwd, from stdin)", load: async () => { const m = await import("./admin.js"); return { usage: m.ADMIN_USAGE, run: m.runAdmin }; } },
  appliance: { summary: "the Raspberry Pi image: apply meshgate.conf from the boot partition (first-boot)", load: async () => { const m = await import("./appliance.js"); return { usage: m.APPLIANCE_USAGE, run: m.runAppliance }; } },
  update: { summary: "install a new version from an update bundle, with rollback (Raspberry Pi image; root), or show its status", load: async () => { const m = await import("./update.js"); return { usage: m.UPDATE_USAGE, run: m.runUpdate }; } },
  wg: { summary: "up/down a plain userspace WireGuard interface from a wg-quick file", load: async () => { const m = await import("./wg.js"); return { usage: m.WG_USAGE, run: m.runWg }; } },
  version: { summary: "print the meshgate version", load: async () => ({ usage: "Usage: meshgate version", run: (_args, write) => (write(version()), 0) }) },
  help: { summary: "show this help, or a command's (meshgate help up)", load: async () => ({ usage: "Usage: meshgate help [command]", run: async (args, write) => (write(await usage(args[0])), 0) }) },
};

const version = (): string => `meshgate ${packageVersion()}`;

async function usage(command?: string): Promise<string> {
  const known = command === undefined ? undefined : COMMANDS[command];
  if (known !== undefined) return (await known.load()).usage;
  const lines = Object.entries(COMMANDS).map(([name, entry]) => `  ${name.padEnd(12)} ${entry.summary}`);
  return ["Usage: meshgate <command> [options]", "", "Commands:", ...lines, "", "meshgate help <command> shows a command's options."].join("\n");
}

async function main(argv: readonly string[]): Promise<number> {
  const [name = "help", ...args] = argv;
  const write: Write = (line) => void process.stdout.write(`${line}\n`);
  if (name === "--help" || name === "-h") return (write(await usage()), 0);
  if (name === "--version") return (write(version()), 0);
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`meshgate: unknown command "${name}"\n\n${await usage()}\n`);
    return 2;
  }
  const runner = await command.load();
  if (args.includes("--help") || args.includes("-h")) return (write(runner.usage), 0);
  try {
    return await runner.run(args, write);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`meshgate ${name}: ${error.message}${error.message.startsWith("Usage") ? "" : `\n\n${runner.usage}`}\n`);
      return 2;
    }
    process.stderr.write(`meshgate ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
