// Long-running commands (`wg up`, `up`) start themselves in the background the way users of
// wg-quick and tailscale expect: the command returns once the service answers, with its pid
// and log file; `down` stops it by the pid it recorded. The foreground variant (--foreground)
// is what systemd and the tests run.

import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { DAEMON_NODE_FLAGS } from "./daemon-node-flags.js";

const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Runs `meshgate <args> --foreground` detached, output appended to `logFile`; resolves with its
// pid once `ready()` says yes, rejects with the end of the log if it exits first. `stdinText`
// (a secret the child reads with `-`) goes through a pipe, never the command line.
export async function startInBackground(args: readonly string[], logFile: string, ready: () => Promise<boolean>, stdinText?: string): Promise<number> {
  mkdirSync(dirname(logFile), { recursive: true, mode: 0o700 });
  const logFd = openSync(logFile, "a", 0o600);
  const main = fileURLToPath(new URL("./main.js", import.meta.url));
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, main, ...args, "--foreground"], { detached: true, stdio: [stdinText === undefined ? "ignore" : "pipe", logFd, logFd] });
  closeSync(logFd);
  if (stdinText !== undefined) child.stdin!.end(`${stdinText}\n`);
  let exited = false;
  child.once("exit", () => (exited = true));
  for (const deadline = Date.now() + START_TIMEOUT_MS; Date.now() < deadline; await sleep(100)) {
    if (exited) {
      const tail = readFileSync(logFile, "utf8").trim().split("\n").slice(-5).join("\n");
      throw new Error(`it did not come up:\n${tail}`);
    }
    if (await ready()) {
      child.unref();
      return child.pid!;
    }
  }
  child.kill("SIGTERM");
  throw new Error(`it did not come up within ${START_TIMEOUT_MS / 1000} s; see ${logFile}`);
}

export function writePidFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${process.pid}\n`);
}

export function removePidFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

// SIGTERM to the process recorded in `pidFile`; resolves once it is gone and `stillUp()` is
// false. `what` names the service in errors.
export async function stopByPidFile(pidFile: string, what: string, stillUp: () => Promise<boolean>): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, "utf8").trim());
  } catch {
    throw new Error(`${what} is not up (no ${pidFile})`);
  }
  if (!Number.isInteger(pid) || pid <= 1 || !processAlive(pid)) {
    removePidFile(pidFile);
    throw new Error(`${what} is not running (stale ${pidFile} removed)`);
  }
  process.kill(pid, "SIGTERM");
  for (const deadline = Date.now() + STOP_TIMEOUT_MS; Date.now() < deadline; await sleep(100)) {
    if (!processAlive(pid) && !(await stillUp())) return;
  }
  throw new Error(`${what} (pid ${pid}) did not stop within ${STOP_TIMEOUT_MS / 1000} s`);
}

// Runs `work` until SIGTERM or SIGINT, then `stop`; keeps the pid file meanwhile.
export async function runUntilSignalled(pidFile: string, stop: () => Promise<void>, stopped: Promise<void>): Promise<void> {
  writePidFile(pidFile);
  const shutDown = (): void => void stop();
  process.once("SIGTERM", shutDown);
  process.once("SIGINT", shutDown);
  await stopped;
  removePidFile(pidFile);
}
