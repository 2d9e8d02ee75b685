// npm run bench:coordinator [-- --nodes N] [-- --rounds R] [-- --workers W] [-- --json]
//
// How fast one change reaches a whole mesh, and what it costs the coordinator, over the real
// control channel: a coordinator (`meshgate coordinator`, its own process, HTTP on loopback)
// and N simulated nodes in W worker processes (default 2), each node with its own static key,
// its own Noise session, its own loopback source address (127.2.x.y…) and its own long poll.
// Per mesh size (default: 100, 1,000 and 3,000, each with a fresh coordinator; --nodes N for
// one size): all nodes enroll, poll until they all hold the same netmap version, then R times
// (default 5) one node reports new endpoints, and the time until each other node's poll
// returns with them is measured from just before the report left (clocks: each process's
// performance.timeOrigin + now, one machine). Printed per size: propagation p50/p99/max over
// all rounds, the coordinator's RSS (after setup, and its peak), its CPU per change (from the
// report until the re-polls are back) and over setup. --json prints one JSON object as the last
// stdout line: {"100":{…},"1000":{…},"3000":{…}} with p50_ms, p99_ms, max_ms, delivered,
// expected, rss_mib, peak_rss_mib, cpu_ms_per_change, setup_s, setup_cpu_s.
//
// A simulated node keeps only its netmap version (not the map: 3,000 nodes holding 3,000-peer
// maps would measure the simulator); otherwise it is the real client: handshake, sealed calls,
// full map then deltas. Every phase is bounded in time; the processes this starts are ended by
// their pid.

import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createCryptoCore } from "../../src/dataplane/crypto-core.js";
import { compilePreferredCryptoWasm } from "../../src/dataplane/crypto-wasm.js";
import type { ChannelCrypto } from "../../src/mesh/control-channel.js";
import { createControlClient, type ControlClient } from "../../src/mesh/control-client.js";
import type { NetmapNode } from "../../src/mesh/netmap.js";
import { clampPrivateKey, createFastestX25519 } from "../../src/wireguard/x25519.js";
import { fetchFrom, percentile, round, sharedNowMs, startCoordinatorProcess, type CoordinatorProcess, type Usage } from "./coordinator-process.js";

const SELF = fileURLToPath(import.meta.url);
const ENROLL_CONCURRENCY = 32;
const ENROLL_ATTEMPTS = 60;
const SETUP_LIMIT_MS = 240_000;
const ROUND_LIMIT_MS = 20_000;
const QUIET_MS = 1000; // the mesh counts as settled after this long without a version change

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// Node i's source address: 127.2.1.1, 127.2.1.2, … (250 per /24, no .0 or .255).
const sourceOf = (i: number): string => `127.${2 + Math.floor(i / 62_500)}.${(Math.floor(i / 250) % 250) + 1}.${(i % 250) + 1}`;

// --- messages between the run and its workers -------------------------------------------------

type ToWorker =
  | { type: "init"; url: string; coordinatorKey: string; authKey: string; first: number; count: number }
  | { type: "poll" }
  | { type: "watch"; round: number; nodeKey: string; endpoint: string }
  | { type: "change"; round: number; endpoint: string }
  | { type: "collect"; round: number }
  | { type: "exit" };

type FromWorker =
  | { type: "enrolled"; nodeKeys: string[]; failed: number }
  | { type: "status"; minVersion: number; maxVersion: number; errors: number; lastError: string }
  | { type: "changed"; round: number; sentAt: number }
  | { type: "seen"; round: number; seenAt: number[]; missing: number };

// --- a worker: simulated nodes ----------------------------------------------------------------

interface SimulatedNode {
  readonly index: number;
  readonly nodeKey: string;
  readonly client: ControlClient;
  version: number;
  seenAt: number | null;
}

async function worker(): Promise<void> {
  const send = (message: FromWorker): void => void process.send!(message);
  const random = { bytes: (n: number) => Uint8Array.from(randomBytes(n)) };
  const noise: ChannelCrypto = { crypto: createCryptoCore(compilePreferredCryptoWasm()), x25519: createFastestX25519(), random };
  const nodes: SimulatedNode[] = [];
  let watch: { round: number; nodeKey: string; endpoint: string; sentAt: number | null } | null = null;
  let running = true;
  let errors = 0;
  let lastError = "";

  const seesChange = (peers: readonly NetmapNode[]): boolean =>
    watch !== null && peers.some((peer) => peer.nodeKey === watch!.nodeKey && peer.endpoints[0] === watch!.endpoint);

  const pollLoop = async (node: SimulatedNode): Promise<void> => {
    while (running) {
      try {
        const answer = await node.client.call({ op: "poll", version: node.version });
        if (answer.op !== "poll") continue;
        const update = answer.update;
        node.version = update.version;
        if (node.seenAt === null && seesChange(update.kind === "full" ? update.peers : update.upsert)) node.seenAt = sharedNowMs();
      } catch (error) {
        errors++;
        lastError = error instanceof Error ? error.message : String(error);
        await sleep(1000);
      }
    }
  };

  process.on("message", async (message: ToWorker) => {
    switch (message.type) {
      case "init": {
        const coordinatorKey = Uint8Array.from(Buffer.from(message.coordinatorKey, "base64"));
        let failed = 0;
        let next = 0;
        await Promise.all(
          Array.from({ length: ENROLL_CONCURRENCY }, async () => {
            while (next < message.count) {
              const index = message.first + next++;
              const privateKey = clampPrivateKey(random.bytes(32));
              const identity = { privateKey, publicKey: noise.x25519.publicKey(privateKey) };
              const client = createControlClient({
                coordinatorUrl: message.url, coordinatorKey, identity, noise, fetch: fetchFrom(sourceOf(index)).fetch, wallClock: Date.now, now: () => performance.now(),
              });
              let enrolled = false;
              for (let attempt = 0; attempt < ENROLL_ATTEMPTS && !enrolled; attempt++) {
                try {
                  await client.call({ op: "enroll", authKey: message.authKey, hostname: `sim${index}`, endpoints: [`10.${index >> 16}.${(index >> 8) & 255}.${index & 255}:41641`], listenPort: 41641 });
                  enrolled = true;
                } catch {
                  await sleep(500 + Math.random() * 1000); // a 429 (the handshake budget): later
                }
              }
              if (!enrolled) failed++;
              else nodes.push({ index, nodeKey: Buffer.from(identity.publicKey).toString("base64"), client, version: 0, seenAt: null });
            }
          }),
        );
        nodes.sort((a, b) => a.index - b.index);
        send({ type: "enrolled", nodeKeys: nodes.map((node) => node.nodeKey), failed });
        break;
      }
      case "poll":
        for (const node of nodes) void pollLoop(node);
        setInterval(() => {
          const versions = nodes.map((node) => node.version);
          send({ type: "status", minVersion: Math.min(...versions), maxVersion: Math.max(...versions), errors, lastError });
        }, 250);
        break;
      case "watch":
        watch = { round: message.round, nodeKey: message.nodeKey, endpoint: message.endpoint, sentAt: null };
        for (const node of nodes) node.seenAt = null;
        break;
      case "change": {
        const changer = nodes[0]!;
        const sentAt = sharedNowMs();
        send({ type: "changed", round: message.round, sentAt });
        await changer.client.call({ op: "report", hostname: `sim${changer.index}`, endpoints: [message.endpoint], listenPort: 41641 }).catch((error: Error) => {
          errors++;
          lastError = error.message;
        });
        break;
      }
      case "collect": {
        const others = nodes.filter((node) => node.nodeKey !== watch?.nodeKey);
        const seen = others.filter((node) => node.seenAt !== null);
        send({ type: "seen", round: message.round, seenAt: seen.map((node) => node.seenAt!), missing: others.length - seen.length });
        break;
      }
      case "exit":
        running = false;
        process.exit(0);
    }
  });
}

// --- the run ----------------------------------------------------------------------------------

interface Worker {
  readonly child: ChildProcess;
  readonly nodes: number;
  status: { minVersion: number; maxVersion: number; errors: number; lastError: string } | null;
  next<T extends FromWorker["type"]>(type: T): Promise<Extract<FromWorker, { type: T }>>;
  send(message: ToWorker): void;
}

const children = new Set<ChildProcess>();

function startWorker(nodes: number): Worker {
  const child = fork(SELF, ["--worker"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  children.add(child);
  child.once("exit", () => children.delete(child));
  const waiting = new Map<string, (message: FromWorker) => void>();
  const w: Worker = {
    child,
    nodes,
    status: null,
    next: (type) => new Promise((resolve) => waiting.set(type, resolve as (message: FromWorker) => void)),
    send: (message) => void child.send(message),
  };
  child.on("message", (message: FromWorker) => {
    if (message.type === "status") w.status = message;
    const resolve = waiting.get(message.type);
    if (resolve !== undefined) {
      waiting.delete(message.type);
      resolve(message);
    }
  });
  return w;
}

async function within<T>(what: string, limitMs: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took longer than ${limitMs / 1000} s`)), limitMs)));
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}

// Until every node holds the same version and it has not moved for QUIET_MS.
async function settled(workers: readonly Worker[], limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  let stableVersion = -1;
  let stableSince = 0;
  for (;;) {
    const statuses = workers.map((w) => w.status);
    if (statuses.every((s) => s !== null)) {
      const min = Math.min(...statuses.map((s) => s!.minVersion));
      const max = Math.max(...statuses.map((s) => s!.maxVersion));
      if (min === max && min > 0) {
        if (stableVersion !== min) [stableVersion, stableSince] = [min, Date.now()];
        else if (Date.now() - stableSince >= QUIET_MS) return;
      } else {
        stableVersion = -1;
      }
    }
    if (Date.now() > deadline) {
      const errors = statuses.map((s) => (s === null ? "no status" : `versions ${s.minVersion}..${s.maxVersion}, ${s.errors} errors (${s.lastError})`));
      throw new Error(`the mesh did not settle within ${limitMs / 1000} s: ${errors.join("; ")}`);
    }
    await sleep(50);
  }
}

interface SizeResult {
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly max_ms: number;
  readonly delivered: number;
  readonly expected: number;
  readonly rss_mib: number;
  readonly peak_rss_mib: number;
  readonly cpu_ms_per_change: number;
  readonly setup_s: number;
  readonly setup_cpu_s: number;
  readonly round_max_ms: readonly number[];
}

async function runSize(total: number, rounds: number, workerCount: number): Promise<SizeResult> {
  const coordinator: CoordinatorProcess = await startCoordinatorProcess();
  const workers: Worker[] = [];
  try {
    const setupStarted = performance.now();
    const authKey = await coordinator.createAuthKey();
    const share = Math.ceil(total / workerCount);
    for (let first = 0; first < total; first += share) {
      const w = startWorker(Math.min(share, total - first));
      workers.push(w);
      w.send({ type: "init", url: coordinator.url, coordinatorKey: Buffer.from(coordinator.publicKey).toString("base64"), authKey, first, count: w.nodes });
    }
    const enrolled = await within("enrolling", SETUP_LIMIT_MS, Promise.all(workers.map((w) => w.next("enrolled"))));
    const enrolledAt = performance.now();
    const failed = enrolled.reduce((sum, e) => sum + e.failed, 0);
    if (failed > 0) throw new Error(`${failed} nodes could not enroll`);
    const changerKey = enrolled[0]!.nodeKeys[0]!;
    for (const w of workers) w.send({ type: "poll" });
    await settled(workers, SETUP_LIMIT_MS);
    const setupUsage = coordinator.usage();
    const setupSeconds = (performance.now() - setupStarted) / 1000;
    console.log(`  ${total} nodes: enrolled in ${round((enrolledAt - setupStarted) / 1000)} s, all holding the same netmap ${round((performance.now() - enrolledAt) / 1000)} s later`);
    const delays: number[] = [];
    const roundMax: number[] = [];
    let cpuMs = 0;
    let peakRss = setupUsage.peakRssBytes;
    for (let r = 1; r <= rounds; r++) {
      const endpoint = `198.51.100.${r}:${40000 + r}`;
      for (const w of workers) w.send({ type: "watch", round: r, nodeKey: changerKey, endpoint });
      await sleep(100); // the watch reaches every worker before the change
      const before: Usage = coordinator.usage();
      const changed = workers[0]!.next("changed");
      workers[0]!.send({ type: "change", round: r, endpoint });
      const { sentAt } = await changed;
      // Collect until every other node has seen it (or the round's time is up).
      const roundDeadline = Date.now() + ROUND_LIMIT_MS;
      let seen: number[] = [];
      let missing = total - 1;
      while (Date.now() < roundDeadline) {
        await sleep(100);
        const answers = await Promise.all(workers.map((w) => {
          const reply = w.next("seen");
          w.send({ type: "collect", round: r });
          return reply;
        }));
        seen = answers.flatMap((a) => a.seenAt);
        missing = answers.reduce((sum, a) => sum + a.missing, 0);
        if (missing === 0) break;
      }
      await settled(workers, ROUND_LIMIT_MS); // the re-polls are back: the change's whole cost
      const after = coordinator.usage();
      cpuMs += after.cpuMs - before.cpuMs;
      peakRss = Math.max(peakRss, after.peakRssBytes);
      const roundDelays = seen.map((at) => at - sentAt);
      delays.push(...roundDelays);
      roundMax.push(round(Math.max(...roundDelays), 1));
      if (missing > 0) console.log(`  round ${r}: ${missing} nodes did not see the change within ${ROUND_LIMIT_MS / 1000} s`);
    }
    const usage = coordinator.usage();
    return {
      p50_ms: round(percentile(delays, 50), 1),
      p99_ms: round(percentile(delays, 99), 1),
      max_ms: round(Math.max(...delays), 1),
      delivered: delays.length,
      expected: rounds * (total - 1),
      rss_mib: round(usage.rssBytes / 2 ** 20, 0),
      peak_rss_mib: round(Math.max(peakRss, usage.peakRssBytes) / 2 ** 20, 0),
      cpu_ms_per_change: round(cpuMs / rounds, 0),
      setup_s: round(setupSeconds, 1),
      setup_cpu_s: round(setupUsage.cpuMs / 1000, 1),
      round_max_ms: roundMax,
    };
  } catch (error) {
    console.log(`coordinator log (last lines):\n${coordinator.logTail()}`);
    throw error;
  } finally {
    for (const w of workers) w.send({ type: "exit" });
    await sleep(200);
    for (const child of children) if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, "SIGKILL");
    await coordinator.stop();
  }
}

function parseOptions(argv: readonly string[]): { json: boolean; sizes: number[]; rounds: number; workers: number } {
  const options = { json: false, sizes: [100, 1000, 3000], rounds: 5, workers: 2 };
  for (let i = 0; i < argv.length; i++) {
    const value = Number(argv[i + 1]);
    if (argv[i] === "--json") options.json = true;
    else if (argv[i] === "--nodes" && Number.isInteger(value) && value >= 2) (options.sizes = [value]), i++;
    else if (argv[i] === "--rounds" && Number.isInteger(value) && value >= 1) (options.rounds = value), i++;
    else if (argv[i] === "--workers" && Number.isInteger(value) && value >= 1) (options.workers = value), i++;
    else throw new Error(`unknown option ${argv[i]} (options: --nodes N ≥ 2, --rounds R ≥ 1, --workers W ≥ 1, --json)`);
  }
  return options;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const results: Record<string, SizeResult> = {};
  console.log(`one node changes its endpoints, ${options.rounds} times per mesh size; ${options.workers} worker processes simulate the nodes`);
  console.log("nodes   p50 ms   p99 ms   max ms  delivered      RSS MiB (peak)  CPU/change  setup (CPU)      per-round max ms");
  for (const size of options.sizes) {
    const r = await runSize(size, options.rounds, options.workers);
    results[String(size)] = r;
    console.log(
      `${String(size).padStart(5)} ${String(r.p50_ms).padStart(8)} ${String(r.p99_ms).padStart(8)} ${String(r.max_ms).padStart(8)}  ${`${r.delivered}/${r.expected}`.padEnd(13)} ${`${r.rss_mib} (${r.peak_rss_mib})`.padStart(15)} ${`${r.cpu_ms_per_change} ms`.padStart(11)}  ${`${r.setup_s} s (${r.setup_cpu_s} s)`.padEnd(16)} ${r.round_max_ms.join(" ")}`,
    );
  }
  if (options.json) console.log(JSON.stringify(results));
}

if (process.argv[2] === "--worker") {
  await worker();
} else {
  await main();
}
