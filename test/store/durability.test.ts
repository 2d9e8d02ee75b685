// kill -9 in the middle of a commit loop: every row whose commit was reported must be there on
// reopening, no transaction may be half there, and the file must pass PRAGMA integrity_check.
//
// What this proves and what it cannot: SIGKILL ends the process at an arbitrary instruction (in
// the middle of writing the WAL, between commits, during a checkpoint), so it tests SQLite's
// crash recovery and our commit-then-report order. The kernel's page cache survives a killed
// process, so it does not test the fsyncs that synchronous = FULL adds against power loss; that
// setting is checked in database.test.ts.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { COORDINATOR_MIGRATIONS } from "../../src/store/coordinator-migrations.js";
import { openCoordinatorStore } from "../../src/store/coordinator-store.js";
import { openDatabase } from "../../src/store/database.js";
import { scratchDirectory } from "./scratch-directory.js";

const WRITER = join(dirname(fileURLToPath(import.meta.url)), "durability-writer.js");
// Each run is killed once it has reported this many commits (the kill lands a little later, at
// whatever the loop is doing then); several runs also test recovery of a WAL left by a kill.
const KILL_AFTER_REPORTED = [1, 25, 150, 400, 800];
// A bound on a run that is never killed (a broken test), not reached in practice.
const MAX_ROWS_PER_RUN = 200_000;

interface Run {
  readonly reported: number[];
  readonly signal: NodeJS.Signals | null;
  readonly walBytesAfterKill: number;
}

function runWriterUntilKilled(path: string, killAfter: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, path, String(MAX_ROWS_PER_RUN)], { stdio: ["ignore", "pipe", "inherit"] });
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
    child.on("close", (_code, signal) => {
      const wal = `${path}-wal`;
      resolve({ reported, signal, walBytesAfterKill: existsSync(wal) ? statSync(wal).size : 0 });
    });
  });
}

test("kill -9 mid-loop: every reported commit survives, whole, and the file is intact", { timeout: 120_000 }, async (t) => {
  const path = join(scratchDirectory(t), "coordinator.db");
  const reported: number[] = [];
  for (const [run, killAfter] of KILL_AFTER_REPORTED.entries()) {
    const result = await runWriterUntilKilled(path, killAfter);
    assert.equal(result.signal, "SIGKILL", `run ${run} ended by the kill, not on its own`);
    assert.ok(result.reported.length >= killAfter, `run ${run} reported ${result.reported.length}`);
    reported.push(...result.reported);
    t.diagnostic(`run ${run}: killed after ${result.reported.length} reported commits (asked at ${killAfter}), WAL left: ${result.walBytesAfterKill} bytes`);
  }

  const db = openDatabase(path, COORDINATOR_MIGRATIONS);
  try {
    assert.equal(db.pragma("integrity_check", { simple: true }), "ok");
    assert.deepEqual(db.pragma("foreign_key_check"), []);
  } finally {
    db.close();
  }

  const store = openCoordinatorStore(path);
  t.after(() => store.close());
  const found = store.nodes.list().map((node) => node.id);
  const foundSet = new Set(found);
  const lost = reported.filter((id) => !foundSet.has(id));
  assert.deepEqual(lost, [], "reported commits missing after the kill");
  // A kill between a commit and its report leaves at most one unreported row per run.
  const unreported = found.length - reported.length;
  assert.ok(unreported >= 0 && unreported <= KILL_AFTER_REPORTED.length, `${unreported} rows committed but not reported`);
  // Atomicity: each transaction's four writes are all there or none is.
  assert.equal(store.routes.approved().length, found.length);
  assert.equal(store.audit.recent(found.length + 10).length, found.length);
  assert.equal(store.netmapVersion(), found.length);
  t.diagnostic(`reported ${reported.length} commits in ${KILL_AFTER_REPORTED.length} killed runs; found ${found.length} rows (${unreported} committed but not yet reported when killed); integrity_check: ok`);
});
