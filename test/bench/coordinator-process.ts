// What the coordinator benchmarks share: a coordinator run as a user runs it (`meshgate
// coordinator`, its own process, real HTTP on loopback), its CPU and memory read from /proc, a
// fetch that leaves from a chosen loopback address (127.0.0.0/8 is all loopback on Linux, so
// each simulated node can have an address of its own), and percentiles.

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { requestJson } from "../../src/io/unix-http-client.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

export interface Usage {
  readonly cpuMs: number; // user + system, since the process started
  readonly rssBytes: number;
  readonly peakRssBytes: number;
}

export function processUsage(pid: number): Usage {
  const ticksPerSecond = clockTicks();
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // after "pid (comm) "
  const cpuTicks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15)
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
  return { cpuMs: (cpuTicks * 1000) / ticksPerSecond, rssBytes: kib("VmRSS"), peakRssBytes: kib("VmHWM") };
}

let ticks: number | null = null;
function clockTicks(): number {
  ticks ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  return ticks;
}

export interface CoordinatorProcess {
  readonly pid: number;
  readonly url: string;
  readonly publicKey: Uint8Array;
  createAuthKey(): Promise<string>;
  usage(): Usage;
  // The coordinator's log (stderr), last lines.
  logTail(): string;
  stop(): Promise<void>;
}

// MESHGATE_BENCH_COORDINATOR_NODE_ARGS: node options for the coordinator process only (say
// "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it).
export async function startCoordinatorProcess(): Promise<CoordinatorProcess> {
  const stateDir = mkdtempSync(join(tmpdir(), "meshgate-bench-coordinator-"));
  const nodeArgs = (process.env["MESHGATE_BENCH_COORDINATOR_NODE_ARGS"] ?? "").split(" ").filter((arg) => arg !== "");
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, MAIN, "coordinator", "--listen", "127.0.0.1:0", "--stun-port", "0", "--state-dir", stateDir], { stdio: ["ignore", "pipe", "pipe"] });
  const log: string[] = [];
  child.stderr!.setEncoding("utf8").on("data", (text: string) => {
    log.push(...text.split("\n").filter((line) => line !== ""));
    if (log.length > 200) log.splice(0, log.length - 200);
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      process.kill(child.pid!, "SIGTERM");
      const timer = setTimeout(() => child.exitCode === null && process.kill(child.pid!, "SIGKILL"), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let output = "";
      const timer = setTimeout(() => reject(new Error(`the coordinator did not start within ${START_TIMEOUT_MS / 1000} s:\n${log.join("\n")}`)), START_TIMEOUT_MS);
      child.once("exit", (code) => reject(new Error(`the coordinator exited (${code}):\n${log.join("\n")}`)));
      child.stdout!.setEncoding("utf8").on("data", (text: string) => {
        output += text;
        const found = /nodes join at (http:\/\/[^\s;]+)/.exec(output);
        if (found !== null) {
          clearTimeout(timer);
          resolve(found[1]!);
        }
      });
    });
    const health = (await (await fetch(`${url}/health`)).json()) as { publicKey: string };
    const adminSocket = join(stateDir, "admin.sock");
    return {
      pid: child.pid!,
      url,
      publicKey: Uint8Array.from(Buffer.from(health.publicKey, "base64")),
      async createAuthKey() {
        const created = await requestJson(adminSocket, "POST", "/v1/keys", { reusable: true, description: "bench" });
        if (created.status !== 201) throw new Error(`creating an auth key: ${JSON.stringify(created.body)}`);
        return String(created.body["key"]);
      },
      usage: () => processUsage(child.pid!),
      logTail: () => log.slice(-20).join("\n"),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

// A fetch (enough of it for the control client) whose connections leave from `localAddress`,
// kept alive, at most `maxSockets` at a time.
export function fetchFrom(localAddress: string, maxSockets = 2): { fetch: typeof fetch; close: () => void } {
  const agent = new Agent({ keepAlive: true, maxSockets, localAddress });
  const fetchImpl = (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
    new Promise((resolve, reject) => {
      const url = new URL(String(input));
      const body = init?.body === undefined || init.body === null ? undefined : Buffer.from(init.body as Uint8Array);
      const signal = init?.signal ?? undefined;
      if (signal?.aborted === true) {
        reject(signal.reason);
        return;
      }
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: init?.method ?? "GET",
          agent,
          localAddress,
          headers: { ...(init?.headers as Record<string, string> | undefined), ...(body === undefined ? {} : { "content-length": String(body.length) }) },
        },
        (res) => {
          const pieces: Buffer[] = [];
          res.on("data", (piece: Buffer) => pieces.push(piece));
          res.on("error", reject);
          res.on("end", () => {
            const headers = new Headers();
            for (const [name, value] of Object.entries(res.headers)) if (typeof value === "string") headers.set(name, value);
            resolve(new Response(Buffer.concat(pieces), { status: res.statusCode ?? 500, headers }));
          });
        },
      );
      req.on("error", reject);
      signal?.addEventListener("abort", () => req.destroy(signal.reason instanceof Error ? signal.reason : new Error("aborted")), { once: true });
      req.end(body);
    });
  return { fetch: fetchImpl as typeof fetch, close: () => agent.destroy() };
}

// The p-th percentile (0..100) of `values` (nearest rank); NaN when empty.
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

// A wall-clock time in ms with sub-millisecond resolution, comparable between processes on
// this machine (each process's timeOrigin is the wall clock at its start).
export const sharedNowMs = (): number => performance.timeOrigin + performance.now();
