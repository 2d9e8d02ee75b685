// `meshgate wg up <config>` / `meshgate wg down <interface>`: meshgate as a drop-in userspace
// WireGuard, driven by a standard wg-quick file and inspected with the real `wg` tool.
//
//   up <file.conf | name>      start in the background; returns when the interface answers on
//                              its UAPI socket (name alone means /etc/wireguard/<name>.conf)
//   up --foreground <config>   stay attached (logs to stderr; SIGTERM/SIGINT bring it down)
//   down <name | file.conf>    stop the interface's process (its TUN, addresses and routes go)

import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { startWireGuardInterface } from "../daemon.js";
import { configPathFor, interfaceNameFor } from "../interface/wg-quick-plan.js";
import { uapiSocketAnswers, uapiSocketPath } from "../io/uapi-socket.js";

const RUN_DIRECTORY = "/var/run/meshgate";
const LOG_DIRECTORY = "/var/log/meshgate";
const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;

export const WG_USAGE = [
  "Usage: meshgate wg up [--foreground] <file.conf | interface>",
  "       meshgate wg down <interface | file.conf>",
  "",
  "Brings a userspace WireGuard interface up from a wg-quick(8) file, or down. Inspect and change",
  "it with the standard tool: wg show <interface>, wg set <interface> peer …",
].join("\n");

const pidFile = (name: string): string => `${RUN_DIRECTORY}/${name}.pid`;
const logFile = (name: string): string => `${LOG_DIRECTORY}/${name}.log`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function timestamped(line: string): string {
  return `${new Date().toISOString()} ${line}`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function upForeground(configPath: string, write: (line: string) => void): Promise<number> {
  const log = (line: string): void => void process.stderr.write(`${timestamped(line)}\n`);
  const running = await startWireGuardInterface({ configPath, log });
  mkdirSync(RUN_DIRECTORY, { recursive: true });
  writeFileSync(pidFile(running.name), `${process.pid}\n`);
  const shutDown = (): void => void running.stop();
  process.once("SIGTERM", shutDown);
  process.once("SIGINT", shutDown);
  write(`${running.name} is up (pid ${process.pid}, UDP port ${running.listenPort})`);
  await running.stopped;
  try {
    unlinkSync(pidFile(running.name));
  } catch {
    // already removed
  }
  return 0;
}

async function upBackground(configPath: string, write: (line: string) => void): Promise<number> {
  const name = interfaceNameFor(configPath);
  if (!existsSync(configPath)) throw new Error(`${configPath} does not exist`);
  const socket = uapiSocketPath(name);
  // Checked here too: otherwise the running interface's socket would answer for a child
  // that is about to fail.
  if (await uapiSocketAnswers(socket)) throw new Error(`${name} is already up (${socket} answers)`);
  mkdirSync(LOG_DIRECTORY, { recursive: true });
  const logFd = openSync(logFile(name), "a");
  const main = fileURLToPath(new URL("./main.js", import.meta.url));
  const child = spawn(process.execPath, [main, "wg", "up", "--foreground", configPath], {
    detached: true,
    stdio: ["ignore", logFd, logFd],
  });
  closeSync(logFd);
  let exited: number | null = null;
  child.once("exit", (code) => (exited = code ?? 1));
  for (const deadline = Date.now() + START_TIMEOUT_MS; Date.now() < deadline; await sleep(100)) {
    if (exited !== null) {
      const tail = readFileSync(logFile(name), "utf8").trim().split("\n").slice(-5).join("\n");
      throw new Error(`${name} did not come up:\n${tail}`);
    }
    if (await uapiSocketAnswers(socket)) {
      child.unref();
      write(`${name} is up (pid ${child.pid}); log: ${logFile(name)}`);
      return 0;
    }
  }
  child.kill("SIGTERM");
  throw new Error(`${name} did not answer on ${socket} within ${START_TIMEOUT_MS / 1000} s; see ${logFile(name)}`);
}

async function down(argument: string, write: (line: string) => void): Promise<number> {
  const name = interfaceNameFor(argument.endsWith(".conf") ? argument : `${argument}.conf`);
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile(name), "utf8").trim());
  } catch {
    throw new Error(`${name} is not up (no ${pidFile(name)})`);
  }
  if (!Number.isInteger(pid) || pid <= 1 || !processAlive(pid)) {
    unlinkSync(pidFile(name));
    throw new Error(`${name} is not running (stale ${pidFile(name)} removed)`);
  }
  process.kill(pid, "SIGTERM");
  for (const deadline = Date.now() + STOP_TIMEOUT_MS; Date.now() < deadline; await sleep(100)) {
    if (!processAlive(pid) && !(await uapiSocketAnswers(uapiSocketPath(name)))) {
      write(`${name} is down`);
      return 0;
    }
  }
  throw new Error(`${name} (pid ${pid}) did not stop within ${STOP_TIMEOUT_MS / 1000} s`);
}

export async function runWg(args: string[], write: (line: string) => void): Promise<number> {
  const [action, ...rest] = args;
  const foreground = rest.includes("--foreground");
  const operands = rest.filter((arg) => arg !== "--foreground");
  if ((action === "up" || action === "down") && operands.length === 1) {
    if (action === "down") return down(operands[0]!, write);
    const configPath = configPathFor(operands[0]!);
    return foreground ? upForeground(configPath, write) : upBackground(configPath, write);
  }
  process.stderr.write(`${WG_USAGE}\n`);
  return 2;
}
