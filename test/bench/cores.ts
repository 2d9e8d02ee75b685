// npm run bench:cores [-- --json] [-- --seconds S]
//
// Whether a second core can seal for the data path (issue 13, item 3), measured on the
// mechanism a crypto worker would use, before any of it is built into the device: the WASM
// seal of 64 × 1420-byte messages (one batch) on
//   one thread            the main thread alone, as the data path seals today;
//   two threads, apart    a worker and the main thread each sealing batches of their own, no
//                         handoff (the ceiling);
//   one batch, split      half the batch copied to a worker through a SharedArrayBuffer,
//                         started with Atomics.notify, sealed there while the main thread
//                         seals the other half, then copied back; the main thread polls for
//                         the worker's answer, and the worker polls S µs for its next job
//                         before sleeping (S = 0 and 100);
// and the wake-up: an empty job handed to a sleeping worker after 10 ms idle, until its
// answer (median of 30), which every batch after a pause would pay. --json prints one JSON
// object as the last stdout line:
// {"one_thread_mbps":…,"two_threads_apart_mbps":…,"split_spin0_mbps":…,"split_spin100_mbps":…,
//  "wake_us":…}

import { randomBytes } from "node:crypto";
import { Worker } from "node:worker_threads";
import { BATCH, CONTROL, MESSAGE_BYTES, sealerFor, sealForMs, type CoresWorkerData } from "./cores-sealer.js";
import { parseBenchOptions } from "./options.js";

const WORKER = new URL("./cores-worker.js", import.meta.url);
const WAKE_SAMPLES = 30;

const options = parseBenchOptions(process.argv.slice(2), 2);
const ms = options.seconds * 1000;
const key = randomBytes(32);
const sealer = sealerFor(key);
const progress = (line: string): void => void process.stderr.write(`${line}\n`);
const sleep = (delayMs: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, delayMs));

function startWorker(mode: CoresWorkerData["mode"], control: SharedArrayBuffer, shared: SharedArrayBuffer): Worker {
  const workerData: CoresWorkerData = { mode, key, ms, control, shared };
  return new Worker(WORKER, { workerData });
}

async function twoThreadsApart(): Promise<number> {
  const worker = startWorker("alone", new SharedArrayBuffer(CONTROL.WORDS * 4), new SharedArrayBuffer(0));
  const theirs = new Promise<number>((resolve, reject) => worker.once("message", resolve).once("error", reject));
  const mine = sealForMs(sealer, ms);
  const total = mine + (await theirs);
  await worker.terminate();
  return total;
}

// A worker taking jobs, and the two halves of one handoff.
async function withJobWorker<T>(spinUs: number, use: (handoff: (count: number) => void, join: () => void, shared: Uint8Array) => Promise<T> | T): Promise<T> {
  const control = new Int32Array(new SharedArrayBuffer(CONTROL.WORDS * 4));
  const shared = new SharedArrayBuffer(sealer.stride * BATCH);
  control[CONTROL.SPIN_US] = spinUs;
  const worker = startWorker("jobs", control.buffer as SharedArrayBuffer, shared);
  worker.once("error", (error) => progress(`cores worker failed: ${String(error)}`));
  let job = 0;
  const handoff = (count: number): void => {
    Atomics.store(control, CONTROL.COUNT, count);
    Atomics.store(control, CONTROL.JOB, ++job);
    Atomics.notify(control, CONTROL.JOB);
  };
  // Polled, not Atomics.wait: a sleeping main thread wakes tens of µs late (measured here).
  const join = (): void => {
    while (Atomics.load(control, CONTROL.DONE) !== job);
  };
  await sleep(200); // the worker's core compiled and waiting
  try {
    return await use(handoff, join, new Uint8Array(shared));
  } finally {
    Atomics.store(control, CONTROL.JOB, -1);
    Atomics.notify(control, CONTROL.JOB);
    await new Promise((resolve) => worker.once("exit", resolve));
  }
}

function splitBatch(spinUs: number): Promise<number> {
  return withJobWorker(spinUs, (handoff, join, shared) => {
    const half = BATCH / 2;
    const theirs = sealer.arena.subarray(half * sealer.stride, BATCH * sealer.stride);
    const plaintext = theirs.slice();
    let batches = 0;
    const start = performance.now();
    while (performance.now() - start < ms) {
      theirs.set(plaintext); // the other half as the TUN left it
      shared.set(theirs);
      handoff(half);
      sealer.seal(half);
      join();
      theirs.set(shared.subarray(0, theirs.length));
      batches++;
    }
    return (batches * BATCH * MESSAGE_BYTES) / ((performance.now() - start) * 1000);
  });
}

function wakeUs(): Promise<number> {
  return withJobWorker(0, async (handoff, join) => {
    const samples: number[] = [];
    for (let i = 0; i < WAKE_SAMPLES; i++) {
      await sleep(10);
      const start = performance.now();
      handoff(0);
      join();
      samples.push((performance.now() - start) * 1000);
    }
    return samples.sort((a, b) => a - b)[Math.floor(WAKE_SAMPLES / 2)]!;
  });
}

sealForMs(sealer, 200); // warm-up: the seal path optimised before anything is timed
progress(`bench:cores — seal of ${BATCH} × ${MESSAGE_BYTES} B per batch, ${options.seconds} s each`);
const oneThread = sealForMs(sealer, ms);
const twoApart = await twoThreadsApart();
const split0 = await splitBatch(0);
const split100 = await splitBatch(100);
const wake = await wakeUs();

const result = {
  one_thread_mbps: Math.round(oneThread),
  two_threads_apart_mbps: Math.round(twoApart),
  split_spin0_mbps: Math.round(split0),
  split_spin100_mbps: Math.round(split100),
  wake_us: Number(wake.toFixed(1)),
};
const row = (name: string, mbps: number): string => `${name.padEnd(44)} ${mbps.toFixed(0).padStart(6)} MB/s   ${(mbps / oneThread).toFixed(2)}×`;
process.stdout.write(
  [
    row("one thread", oneThread),
    row("two threads, each its own batches", twoApart),
    row("one batch split, worker sleeps at once", split0),
    row("one batch split, worker polls 100 µs", split100),
    `waking a sleeping worker after 10 ms idle: ${wake.toFixed(1)} µs (median of ${WAKE_SAMPLES})`,
    "",
  ].join("\n"),
);
if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
