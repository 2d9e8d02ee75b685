#!/usr/bin/env node
// The `meshgate` command: parses argv, runs one command, exits with its status. Commands are
// added here as the parts they drive land.

import { readFileSync } from "node:fs";
import { runStart } from "./start.js";
import { runWg } from "./wg.js";

interface Command {
  summary: string;
  run(args: string[], write: (line: string) => void): number | Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  start: { summary: "run the appliance with embedded defaults", run: (_args, write) => runStart(write) },
  wg: { summary: "up/down a userspace WireGuard interface from a wg-quick file", run: (args, write) => runWg(args, write) },
  version: { summary: "print the meshgate version", run: (_args, write) => (write(version()), 0) },
  help: { summary: "show this help", run: (_args, write) => (write(usage()), 0) },
};

function version(): string {
  // dist/src/cli/main.js → package.json
  const manifest = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return `meshgate ${manifest.version}`;
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(10)} ${command.summary}`);
  return ["Usage: meshgate <command> [options]", "", "Commands:", ...lines].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [name = "help", ...args] = argv;
  const write = (line: string): void => void process.stdout.write(`${line}\n`);
  if (name === "--help" || name === "-h") return COMMANDS["help"]!.run(args, write);
  if (name === "--version") return COMMANDS["version"]!.run(args, write);
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`meshgate: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  try {
    return await command.run(args, write);
  } catch (error) {
    process.stderr.write(`meshgate ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
