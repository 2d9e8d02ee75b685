// `meshgate wg up <config>` / `meshgate wg down <interface>`: meshgate as a drop-in userspace
// WireGuard, driven by a standard wg-quick file and inspected with the real `wg` tool.
//
//   up <file.conf | name>      start in the background; returns when the interface answers on
//                              its UAPI socket (name alone means /etc/wireguard/<name>.conf)
//   up --foreground <config>   stay attached (logs to stderr; SIGTERM/SIGINT bring it down)
//   down <name | file.conf>    stop the interface's process (its TUN, addresses and routes go)

import { existsSync } from "node:fs";
import { startWireGuardInterface } from "../daemon/wireguard-interface.js";
import { configPathFor, interfaceNameFor } from "../interface/wg-quick-plan.js";
import { uapiSocketAnswers, uapiSocketPath } from "../io/uapi-socket.js";
import { runUntilSignalled, startInBackground, stopByPidFile } from "./background.js";
import { UsageError } from "./options.js";

export const WG_USAGE = [
  "Usage: meshgate wg up [--foreground] <file.conf | interface>",
  "       meshgate wg down <interface | file.conf>",
  "",
  "Brings a userspace WireGuard interface up from a wg-quick(8) file, or down. Inspect and change",
  "it with the standard tool: wg show <interface>, wg set <interface> peer …",
].join("\n");

const pidFile = (name: string): string => `/var/run/meshgate/${name}.pid`;
const logFile = (name: string): string => `/var/log/meshgate/${name}.log`;

async function up(configPath: string, foreground: boolean, write: (line: string) => void): Promise<number> {
  const name = interfaceNameFor(configPath);
  const socket = uapiSocketPath(name);
  if (!foreground) {
    if (!existsSync(configPath)) throw new Error(`${configPath} does not exist`);
    // Checked here too: otherwise the running interface would answer for a child about to fail.
    if (await uapiSocketAnswers(socket)) throw new Error(`${name} is already up (${socket} answers)`);
    const pid = await startInBackground(["wg", "up", configPath], logFile(name), () => uapiSocketAnswers(socket)).catch((error: Error) => {
      throw new Error(`${name}: ${error.message}`);
    });
    write(`${name} is up (pid ${pid}); log: ${logFile(name)}`);
    return 0;
  }
  const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const running = await startWireGuardInterface({ configPath, log });
  write(`${running.name} is up (pid ${process.pid}, UDP port ${running.listenPort})`);
  await runUntilSignalled(pidFile(running.name), running.stop, running.stopped);
  return 0;
}

export async function runWg(args: readonly string[], write: (line: string) => void): Promise<number> {
  const [action, ...rest] = args;
  const foreground = rest.includes("--foreground");
  const operands = rest.filter((arg) => arg !== "--foreground");
  if (operands.length !== 1 || (action !== "up" && action !== "down")) throw new UsageError(WG_USAGE);
  if (action === "up") return up(configPathFor(operands[0]!), foreground, write);
  const name = interfaceNameFor(operands[0]!.endsWith(".conf") ? operands[0]! : `${operands[0]}.conf`);
  await stopByPidFile(pidFile(name), name, () => uapiSocketAnswers(uapiSocketPath(name)));
  write(`${name} is down`);
  return 0;
}
