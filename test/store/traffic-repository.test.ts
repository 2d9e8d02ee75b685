// The node store's traffic tables: the migration from a version-1 file, samples in one
// transaction, buckets and the rollup mark, pruning, the synchronous setting around these
// writes, and kill -9 in the middle of a sampling loop.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type Database from "better-sqlite3";
import { NODE_DATABASE, openDatabase } from "../../src/store/database.js";
import { NODE_MIGRATIONS } from "../../src/store/node-migrations.js";
import { openNodeStore } from "../../src/store/node-store.js";
import { createTrafficRepository, type TrafficPeerSample } from "../../src/store/traffic-repository.js";
import { scratchDirectory } from "./scratch-directory.js";

const T0 = Date.UTC(2026, 0, 1);
const key = (n: number): string => Buffer.alloc(32, n).toString("base64");
const sample = (n: number, name: string, rxBytes: number, txBytes: number): TrafficPeerSample => ({ key: key(n), name, rxBytes, txBytes });

describe("node store: traffic history", () => {
  test("a version-1 node database gains the traffic tables and keeps its settings", (t) => {
    const path = join(scratchDirectory(t), "node.db");
    const v1 = openDatabase(path, NODE_MIGRATIONS.slice(0, 1), NODE_DATABASE);
    v1.prepare("INSERT INTO settings (key, value) VALUES ('coordinator', 'http://a.example')").run();
    v1.close();
    const store = openNodeStore(path);
    t.after(() => store.close());
    assert.equal(store.getSetting("coordinator"), "http://a.example");
    assert.deepEqual(store.trafficRowCounts(), { peers: 0, samples: 0, buckets: 0 });
    store.insertTrafficSamples(T0, [sample(1, "alpha", 1, 2)]);
    assert.equal(store.trafficSamples(T0, T0 + 1).length, 1);
  });

  test("samples: a batch per time, in time order, names as of the last sample, the same time replaced", (t) => {
    const store = openNodeStore(join(scratchDirectory(t), "node.db"));
    t.after(() => store.close());
    store.insertTrafficSamples(T0 + 10_000, [sample(1, "alpha", 100, 10), sample(2, "beta", 5, 6)]);
    store.insertTrafficSamples(T0, [sample(1, "alpha", 50, 5)]);
    store.insertTrafficSamples(T0 + 20_000, [sample(2, "beta-renamed", 7, 8)]);
    store.insertTrafficSamples(T0 + 20_000, [sample(2, "beta-renamed", 9, 9)]);
    assert.deepEqual(store.trafficSamples(T0, T0 + 20_000), [
      { at: T0, peerKey: key(1), peerName: "alpha", rxBytes: 50, txBytes: 5 },
      { at: T0 + 10_000, peerKey: key(1), peerName: "alpha", rxBytes: 100, txBytes: 10 },
      { at: T0 + 10_000, peerKey: key(2), peerName: "beta-renamed", rxBytes: 5, txBytes: 6 },
    ]);
    assert.deepEqual(store.trafficSamples(T0 + 20_000, T0 + 20_001).map((row) => [row.rxBytes, row.txBytes]), [[9, 9]]);
    assert.deepEqual(store.trafficRowCounts(), { peers: 2, samples: 4, buckets: 0 });
  });

  test("a batch with one bad row writes nothing", (t) => {
    const store = openNodeStore(join(scratchDirectory(t), "node.db"));
    t.after(() => store.close());
    assert.throws(() => store.insertTrafficSamples(T0, [sample(1, "alpha", 1, 1), sample(2, "beta", -5, 1)]), /CHECK constraint failed/);
    assert.deepEqual(store.trafficRowCounts(), { peers: 0, samples: 0, buckets: 0 });
  });

  test("buckets: stored per tier with the rollup mark, replaced at the same start, unknown peers skipped", (t) => {
    const store = openNodeStore(join(scratchDirectory(t), "node.db"));
    t.after(() => store.close());
    store.insertTrafficSamples(T0, [sample(1, "alpha", 0, 0)]);
    assert.equal(store.trafficRolledThrough(300_000), null);
    store.saveTrafficBuckets(300_000, T0 + 600_000, [
      { start: T0, peerKey: key(1), rxBytes: 1, txBytes: 2, spanMs: 1000 },
      { start: T0 + 300_000, peerKey: key(1), rxBytes: 3, txBytes: 4, spanMs: 2000 },
      { start: T0, peerKey: key(7), rxBytes: 9, txBytes: 9, spanMs: 9 },
    ]);
    store.saveTrafficBuckets(1_800_000, T0, [{ start: T0, peerKey: key(1), rxBytes: 50, txBytes: 60, spanMs: 7000 }]);
    store.saveTrafficBuckets(300_000, T0 + 900_000, [{ start: T0 + 300_000, peerKey: key(1), rxBytes: 30, txBytes: 40, spanMs: 20_000 }]);
    assert.equal(store.trafficRolledThrough(300_000), T0 + 900_000);
    assert.equal(store.trafficRolledThrough(1_800_000), T0);
    assert.deepEqual(store.trafficBuckets(300_000, T0, T0 + 900_000), [
      { start: T0, peerKey: key(1), peerName: "alpha", rxBytes: 1, txBytes: 2, spanMs: 1000 },
      { start: T0 + 300_000, peerKey: key(1), peerName: "alpha", rxBytes: 30, txBytes: 40, spanMs: 20_000 },
    ]);
    assert.deepEqual(store.trafficBuckets(300_000, T0 + 1, T0 + 300_000), []);
    assert.equal(store.trafficBuckets(1_800_000, T0, T0 + 1).length, 1);
  });

  test("prune: samples and each tier by age, rows from a clock that was ahead, then peers with nothing left", (t) => {
    const store = openNodeStore(join(scratchDirectory(t), "node.db"));
    t.after(() => store.close());
    const now = T0 + 10 * 60_000;
    store.insertTrafficSamples(T0, [sample(1, "old", 0, 0), sample(2, "kept", 0, 0)]);
    store.insertTrafficSamples(now - 1000, [sample(2, "kept", 1, 1)]);
    store.insertTrafficSamples(now + 60_000, [sample(3, "from-the-future", 1, 1)]);
    store.saveTrafficBuckets(300_000, now, [
      { start: T0, peerKey: key(1), rxBytes: 1, txBytes: 1, spanMs: 1 },
      { start: T0 + 300_000, peerKey: key(2), rxBytes: 1, txBytes: 1, spanMs: 1 },
    ]);
    store.saveTrafficBuckets(1_800_000, now, [{ start: T0, peerKey: key(1), rxBytes: 1, txBytes: 1, spanMs: 1 }]);
    const deleted = store.pruneTraffic(now, now - 5 * 60_000, [{ bucketMs: 300_000, from: T0 + 1 }, { bucketMs: 1_800_000, from: T0 + 1 }]);
    // 3 samples (two at T0, one from the future), 2 buckets, 2 peers (old, from-the-future).
    assert.equal(deleted, 7);
    assert.deepEqual(store.trafficRowCounts(), { peers: 1, samples: 1, buckets: 1 });
    assert.deepEqual(store.trafficBuckets(300_000, 0, now).map((row) => row.peerName), ["kept"]);
    assert.equal(store.pruneTraffic(now, now - 5 * 60_000, []), 0, "nothing left to prune");
  });

  test("traffic writes commit without an fsync and leave the connection at synchronous = FULL, also when they fail", (t) => {
    const db = openDatabase(join(scratchDirectory(t), "node.db"), NODE_MIGRATIONS, NODE_DATABASE);
    t.after(() => db.close());
    // The order of events on the connection: pragmas set, and each row the transaction inserts.
    const events: string[] = [];
    const pragma = db.pragma.bind(db);
    db.pragma = ((source: string, options?: Database.PragmaOptions) => {
      if (source.startsWith("synchronous")) events.push(source);
      return pragma(source, options);
    }) as typeof db.pragma;
    db.function("inserted", () => void events.push("insert"));
    db.exec("CREATE TEMP TRIGGER watch AFTER INSERT ON traffic_samples BEGIN SELECT inserted(); END");
    const traffic = createTrafficRepository(db);
    traffic.insertTrafficSamples(T0, [sample(1, "alpha", 1, 1)]);
    assert.deepEqual(events, ["synchronous = NORMAL", "insert", "synchronous = FULL"]);
    assert.equal(pragma("synchronous", { simple: true }), 2, "FULL (2) after it");
    assert.throws(() => traffic.insertTrafficSamples(T0 + 1, [sample(1, "alpha", -1, 1)]));
    assert.equal(pragma("synchronous", { simple: true }), 2, "FULL after a failed one");
    events.length = 0;
    traffic.pruneTraffic(T0, T0, []);
    traffic.saveTrafficBuckets(300_000, T0, []);
    assert.deepEqual(events, ["synchronous = NORMAL", "synchronous = FULL", "synchronous = NORMAL", "synchronous = FULL"]);
    assert.equal(pragma("synchronous", { simple: true }), 2);
  });
});

// kill -9 while sampling: every sample the writer reported is there, whole, after reopening.
const WRITER = join(dirname(fileURLToPath(import.meta.url)), "traffic-durability-writer.js");
const KILL_AFTER_REPORTED = [1, 40, 300];

function runWriterUntilKilled(path: string, killAfter: number): Promise<{ reported: number[]; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, path], { stdio: ["ignore", "pipe", "inherit"] });
    const reported: number[] = [];
    let pending = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      const lines = (pending + chunk).split("\n");
      pending = lines.pop()!;
      for (const line of lines) reported.push(Number(line));
      if (reported.length >= killAfter && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    });
    child.on("error", reject);
    child.on("close", (_code, signal) => resolve({ reported, signal }));
  });
}

test("kill -9 mid-sampling: every reported sample survives with all its peers, and the file is intact", { timeout: 60_000 }, async (t) => {
  const path = join(scratchDirectory(t), "node.db");
  const reported: number[] = [];
  for (const killAfter of KILL_AFTER_REPORTED) {
    const run = await runWriterUntilKilled(path, killAfter);
    assert.equal(run.signal, "SIGKILL");
    reported.push(...run.reported);
  }
  const db = openDatabase(path, NODE_MIGRATIONS, NODE_DATABASE);
  try {
    assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
    assert.deepEqual(db.pragma("foreign_key_check"), []);
  } finally {
    db.close();
  }
  const store = openNodeStore(path);
  t.after(() => store.close());
  const rows = store.trafficSamples(0, Number.MAX_SAFE_INTEGER);
  const perSample = new Map<number, number>();
  for (const row of rows) perSample.set(row.at, (perSample.get(row.at) ?? 0) + 1);
  assert.deepEqual(reported.filter((at) => perSample.get(at) !== 3), [], "reported samples missing or partial");
  assert.ok([...perSample.values()].every((count) => count === 3), "no sample is half there");
  t.diagnostic(`${reported.length} reported samples in ${KILL_AFTER_REPORTED.length} killed runs; ${perSample.size} found; integrity_check ok`);
});
