// npm run bench:control-flood [-- --seconds S] [-- --json]
//
// The coordinator's session endpoint under a flood, over real HTTP on loopback: a coordinator
// (`meshgate coordinator`, its own process), three enrolled nodes polling it ten times a second
// each (version 0: each poll is answered at once, with a full map) and a fourth opening a new
// session every second, while
// a flooder process sends session initiations from random keys as fast as it can, first from
// one source address (127.0.0.2), then from 254 (127.0.1.1–254: cheap to fake on loopback,
// which shows the global limit). Each phase lasts S seconds (default 20; the phase without a
// flood min(S, 5)). Printed per phase: the flood's rate and what became of it (accepted,
// refused with 429, other), the coordinator's CPU (% of one core) and RSS, the legitimate polls'
// latency p50/p99 and the new sessions' (handshake + one call) p50/p99 and success count.
// --json prints one JSON object as the last stdout line:
// {"no_flood":{…},"flood_1_source":{…},"flood_254_sources":{…}} with, in each,
// flood_per_s, accepted_per_s, refused_per_s, other_per_s, flood_statuses (count per HTTP
// status, "error" for a failed request), coordinator_cpu_pct, coordinator_rss_mib,
// poll_p50_ms, poll_p99_ms, polls, poll_errors, session_p50_ms, session_p99_ms, sessions_ok,
// sessions_tried.
//
// The flooder is this file again (`--flooder <config>`); every process it starts is ended by
// its pid when the run ends.

import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Agent, request } from "node:http";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createCryptoCore } from "../../src/dataplane/crypto-core.js";
import { compilePreferredCryptoWasm } from "../../src/dataplane/crypto-wasm.js";
import { beginClientSession, type ChannelCrypto } from "../../src/mesh/control-channel.js";
import { createControlClient, type ControlClient } from "../../src/mesh/control-client.js";
import type { LocalIdentity } from "../../src/wireguard/noise.js";
import { clampPrivateKey, createFastestX25519 } from "../../src/wireguard/x25519.js";
import { fetchFrom, percentile, round, startCoordinatorProcess, type CoordinatorProcess } from "./coordinator-process.js";
import { parseBenchOptions } from "./options.js";

const SELF = fileURLToPath(import.meta.url);
const FLOODER_CONNECTIONS = 64;
const FLOODER_POOL = 4000; // initiations prepared per flooder (fresh keys; reused in turn)
const LEGIT_SOURCE = "127.0.0.1";
const POLL_EVERY_MS = 100;
const PROBE_EVERY_MS = 1000;

const random = { bytes: (n: number) => Uint8Array.from(randomBytes(n)) };
const channelCrypto = (): ChannelCrypto => ({ crypto: createCryptoCore(compilePreferredCryptoWasm()), x25519: createFastestX25519(), random });
const newIdentity = (noise: ChannelCrypto): LocalIdentity => {
  const privateKey = clampPrivateKey(random.bytes(32));
  return { privateKey, publicKey: noise.x25519.publicKey(privateKey) };
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface FlooderConfig {
  readonly url: string;
  readonly coordinatorKey: string;
  readonly sources: readonly string[];
  readonly seconds: number;
}

interface FloodResult {
  readonly requests: number;
  readonly byStatus: Record<string, number>;
  readonly seconds: number;
}

// --- the flooder (a child process) ----------------------------------------------------------

const REQUEST_TIMEOUT_MS = 5000;

async function flood(config: FlooderConfig): Promise<void> {
  const noise = channelCrypto();
  const coordinatorKey = Uint8Array.from(Buffer.from(config.coordinatorKey, "base64"));
  const initiations = Array.from({ length: FLOODER_POOL }, () => Buffer.from(beginClientSession(noise, newIdentity(noise), coordinatorKey, Date.now()).initiation));
  const url = new URL(`${config.url}/control/v1/session`);
  const agents = new Map(config.sources.map((source) => [source, new Agent({ keepAlive: true, maxSockets: Math.ceil(FLOODER_CONNECTIONS / config.sources.length), localAddress: source })]));
  const byStatus: Record<string, number> = {};
  let requests = 0;
  let next = 0;
  // Resolves once the request is over, however it ended: an answer, an error, a connection the
  // server closed mid-answer, or no answer within REQUEST_TIMEOUT_MS (then counted "timeout").
  const send = (source: string, body: Buffer): Promise<void> =>
    new Promise((resolve) => {
      let outcome: string | null = null;
      const settle = (status: string): void => {
        if (outcome !== null) return;
        outcome = status;
        byStatus[status] = (byStatus[status] ?? 0) + 1;
        resolve();
      };
      const req = request(
        { host: url.hostname, port: url.port, path: url.pathname, method: "POST", agent: agents.get(source)!, localAddress: source, headers: { "content-type": "application/octet-stream", "content-length": body.length } },
        (res) => {
          res.resume();
          res.on("end", () => settle(String(res.statusCode ?? 0)));
          res.on("close", () => settle("error"));
        },
      );
      req.setTimeout(REQUEST_TIMEOUT_MS, () => {
        settle("timeout");
        req.destroy();
      });
      req.on("error", () => settle("error"));
      req.on("close", () => settle("error"));
      req.end(body);
    });
  process.stdout.write("ready\n");
  await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once("line", () => resolve()));
  const started = performance.now();
  const deadline = started + config.seconds * 1000;
  const senders = Promise.all(
    Array.from({ length: FLOODER_CONNECTIONS }, async () => {
      while (performance.now() < deadline) {
        const k = next++;
        requests++;
        await send(config.sources[k % config.sources.length]!, initiations[k % initiations.length]!);
      }
    }),
  );
  // The phase ends on time whatever the requests still in flight do (they time out anyway).
  await Promise.race([senders, new Promise((resolve) => setTimeout(resolve, config.seconds * 1000 + REQUEST_TIMEOUT_MS).unref())]);
  const result: FloodResult = { requests, byStatus, seconds: (performance.now() - started) / 1000 };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  for (const agent of agents.values()) agent.destroy();
  process.exit(0);
}

// --- the run --------------------------------------------------------------------------------

interface PhaseResult {
  readonly flood_per_s: number;
  readonly accepted_per_s: number;
  readonly refused_per_s: number;
  readonly other_per_s: number;
  readonly flood_statuses: Record<string, number>;
  readonly coordinator_cpu_pct: number;
  readonly coordinator_rss_mib: number;
  readonly poll_p50_ms: number;
  readonly poll_p99_ms: number;
  readonly polls: number;
  readonly poll_errors: number;
  readonly session_p50_ms: number;
  readonly session_p99_ms: number;
  readonly sessions_ok: number;
  readonly sessions_tried: number;
}

interface Flooder {
  readonly child: ChildProcess;
  go(): void;
  readonly result: Promise<FloodResult>;
}

// Flooders still running (ended by pid when the run ends, whatever happened).
const flooders = new Set<ChildProcess>();

function startFlooder(config: FlooderConfig): Promise<Flooder> {
  const child = spawn(process.execPath, [SELF, "--flooder", JSON.stringify(config)], { stdio: ["pipe", "pipe", "inherit"] });
  flooders.add(child);
  child.once("exit", () => flooders.delete(child));
  const lines = createInterface({ input: child.stdout! });
  let resolveResult!: (result: FloodResult) => void;
  const result = new Promise<FloodResult>((resolve, reject) => {
    resolveResult = resolve;
    // "close": after the child's stdout is read to its end, so a result line is never missed.
    child.once("close", (code) => reject(new Error(`the flooder exited (${code}) without its result`)));
  });
  result.catch(() => undefined); // observed by runPhase; no unhandled rejection before that
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the flooder exited (${code}) before it was ready`)));
    lines.on("line", (line) => {
      if (line === "ready") resolve({ child, go: () => child.stdin!.write("go\n"), result });
      else if (line.startsWith("{")) resolveResult(JSON.parse(line) as FloodResult);
    });
  });
}

async function runPhase(coordinator: CoordinatorProcess, pollers: readonly ControlClient[], probe: () => ControlClient, sources: readonly string[], seconds: number): Promise<PhaseResult> {
  const flooder = sources.length === 0 ? null : await startFlooder({ url: coordinator.url, coordinatorKey: Buffer.from(coordinator.publicKey).toString("base64"), sources, seconds });
  const polls: number[] = [];
  const sessions: number[] = [];
  let pollErrors = 0;
  let sessionsTried = 0;
  let peakRss = 0;
  const before = coordinator.usage();
  flooder?.go();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, coordinator.usage().rssBytes)), 250);
  const pollLoops = pollers.map(async (client) => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        await client.call({ op: "poll", version: 0 });
        polls.push(performance.now() - t0);
      } catch {
        pollErrors++;
      }
      await sleep(Math.max(0, POLL_EVERY_MS - (performance.now() - t0)));
    }
  });
  const probeLoop = (async () => {
    while (performance.now() + PROBE_EVERY_MS < deadline) {
      const t0 = performance.now();
      sessionsTried++;
      try {
        await probe().call({ op: "report", hostname: "probe", endpoints: ["192.0.2.99:41641"], listenPort: 41641 });
        sessions.push(performance.now() - t0);
      } catch {
        // counted as tried, not ok
      }
      await sleep(Math.max(0, PROBE_EVERY_MS - (performance.now() - t0)));
    }
  })();
  await Promise.all([...pollLoops, probeLoop]);
  const elapsed = (performance.now() - started) / 1000;
  const after = coordinator.usage();
  clearInterval(sampler);
  peakRss = Math.max(peakRss, after.rssBytes);
  const flood = flooder === null ? { requests: 0, byStatus: {}, seconds: elapsed } : await flooder.result;
  const per = (count: number): number => round(count / flood.seconds, 0);
  const accepted = flood.byStatus["200"] ?? 0;
  const refused = flood.byStatus["429"] ?? 0;
  return {
    flood_per_s: per(flood.requests),
    accepted_per_s: per(accepted),
    refused_per_s: per(refused),
    other_per_s: per(flood.requests - accepted - refused),
    flood_statuses: flood.byStatus,
    coordinator_cpu_pct: round(((after.cpuMs - before.cpuMs) / (elapsed * 1000)) * 100, 0),
    coordinator_rss_mib: round(peakRss / 2 ** 20, 0),
    poll_p50_ms: round(percentile(polls, 50), 2),
    poll_p99_ms: round(percentile(polls, 99), 2),
    polls: polls.length,
    poll_errors: pollErrors,
    session_p50_ms: round(percentile(sessions, 50), 1),
    session_p99_ms: round(percentile(sessions, 99), 1),
    sessions_ok: sessions.length,
    sessions_tried: sessionsTried,
  };
}

async function main(): Promise<void> {
  const options = parseBenchOptions(process.argv.slice(2), 20);
  const noise = channelCrypto();
  const coordinator = await startCoordinatorProcess();
  const legit = fetchFrom(LEGIT_SOURCE, 4);
  try {
    const authKey = await coordinator.createAuthKey();
    const client = (identity: LocalIdentity): ControlClient =>
      createControlClient({ coordinatorUrl: coordinator.url, coordinatorKey: coordinator.publicKey, identity, noise, fetch: legit.fetch, wallClock: Date.now, now: () => performance.now() });
    const pollers: ControlClient[] = [];
    for (let i = 0; i < 3; i++) {
      const poller = client(newIdentity(noise));
      await poller.call({ op: "enroll", authKey, hostname: `node${i}`, endpoints: [`192.0.2.${i + 1}:41641`], listenPort: 41641 });
      pollers.push(poller);
    }
    const probeIdentity = newIdentity(noise);
    await client(probeIdentity).call({ op: "enroll", authKey, hostname: "probe", endpoints: ["192.0.2.99:41641"], listenPort: 41641 });
    const probe = (): ControlClient => client(probeIdentity); // a new client: a new session each time
    // A second handshake from one key within the same whitened TAI64N tick (2^24 ns) is a
    // replay to the coordinator: let the enrollment's timestamp age first.
    await sleep(50);

    const many = Array.from({ length: 254 }, (_, i) => `127.0.1.${i + 1}`);
    const phases: [string, string, readonly string[], number][] = [
      ["no_flood", "no flood", [], Math.min(options.seconds, 5)],
      ["flood_1_source", "flood, 1 source", ["127.0.0.2"], options.seconds],
      ["flood_254_sources", "flood, 254 sources", many, options.seconds],
    ];
    const results: Record<string, PhaseResult> = {};
    console.log(`coordinator pid ${coordinator.pid} at ${coordinator.url}; 3 nodes polling, 1 opening a session every ${PROBE_EVERY_MS / 1000} s (from ${LEGIT_SOURCE}); flooder: ${FLOODER_CONNECTIONS} connections`);
    console.log("phase               flood/s  accepted/s  429/s  other/s  coord CPU  RSS MiB  poll p50/p99 ms   polls  errors  new session p50/p99 ms  ok/tried");
    for (const [key, label, sources, seconds] of phases) {
      const r = await runPhase(coordinator, pollers, probe, sources, seconds);
      results[key] = r;
      console.log(
        `${label.padEnd(18)} ${String(r.flood_per_s).padStart(8)} ${String(r.accepted_per_s).padStart(11)} ${String(r.refused_per_s).padStart(6)} ${String(r.other_per_s).padStart(8)} ${`${r.coordinator_cpu_pct}%`.padStart(10)} ${String(r.coordinator_rss_mib).padStart(8)}  ${`${r.poll_p50_ms} / ${r.poll_p99_ms}`.padEnd(16)} ${String(r.polls).padStart(6)} ${String(r.poll_errors).padStart(7)}  ${`${r.session_p50_ms} / ${r.session_p99_ms}`.padEnd(22)} ${r.sessions_ok}/${r.sessions_tried}`,
      );
    }
    for (const [key, , sources] of phases) if (sources.length > 0) console.log(`${key}: flood answers by status ${JSON.stringify(results[key]!.flood_statuses)}`);
    console.log("coordinator log (last lines):");
    console.log(coordinator.logTail().split("\n").slice(-4).map((line) => `  ${line}`).join("\n"));
    if (options.json) console.log(JSON.stringify(results));
  } finally {
    legit.close();
    for (const child of flooders) if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
    await coordinator.stop();
  }
}

if (process.argv[2] === "--flooder") {
  await flood(JSON.parse(process.argv[3]!) as FlooderConfig);
} else {
  await main();
}
