// openDatabase: the pragmas, and the migration runner (all on a fresh file, only the missing
// ones on reopen, none half-applied, a newer schema refused without touching the file).

import assert from "node:assert/strict";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { BUSY_TIMEOUT_MS, openDatabase, type Migration } from "../../src/store/database.js";
import { StoreError } from "../../src/store/errors.js";
import { scratchDirectory } from "./scratch-directory.js";

// Each migration also inserts a row, so a migration applied twice shows up as a duplicate (and
// its CREATE TABLE would fail).
const FIRST: Migration = { version: 1, name: "things", sql: "CREATE TABLE things (label TEXT NOT NULL); INSERT INTO things VALUES ('from 1');" };
const SECOND: Migration = { version: 2, name: "more", sql: "CREATE TABLE more (x INTEGER); INSERT INTO things VALUES ('from 2');" };
const THIRD: Migration = { version: 3, name: "most", sql: "CREATE TABLE most (y INTEGER); INSERT INTO things VALUES ('from 3');" };

function labels(path: string, migrations: readonly Migration[]): string[] {
  const db = openDatabase(path, migrations);
  try {
    return db.prepare<[], string>("SELECT label FROM things ORDER BY rowid").pluck().all();
  } finally {
    db.close();
  }
}

function tables(path: string, migrations: readonly Migration[]): string[] {
  const db = openDatabase(path, migrations);
  try {
    return db.prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all();
  } finally {
    db.close();
  }
}

// The SQLite file header (https://sqlite.org/fileformat.html#the_database_header): bytes 18-19
// are the write/read format versions (1 = rollback journal, 2 = WAL); 60-63 the user_version.
function header(path: string): { walFormat: boolean; userVersion: number } {
  const bytes = readFileSync(path);
  return { walFormat: bytes[18] === 2 && bytes[19] === 2, userVersion: bytes.readUInt32BE(60) };
}

describe("openDatabase", () => {
  test("sets WAL, synchronous = FULL, foreign keys and the busy timeout", (t) => {
    const db = openDatabase(join(scratchDirectory(t), "p.db"), [FIRST]);
    try {
      assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
      assert.equal(db.pragma("synchronous", { simple: true }), 2); // 2 = FULL
      assert.equal(db.pragma("foreign_keys", { simple: true }), 1);
      assert.equal(db.pragma("busy_timeout", { simple: true }), BUSY_TIMEOUT_MS);
    } finally {
      db.close();
    }
  });

  test("creates missing parent directories with mode 0700", (t) => {
    const directory = join(scratchDirectory(t), "state", "meshgate");
    const path = join(directory, "p.db");
    openDatabase(path, []).close();
    assert.equal(statSync(directory).mode & 0o777, 0o700);
    assert.ok(statSync(path).isFile());
  });

  test("a fresh database gets every migration, in order", (t) => {
    const path = join(scratchDirectory(t), "fresh.db");
    assert.deepEqual(labels(path, [FIRST, SECOND, THIRD]), ["from 1", "from 2", "from 3"]);
    assert.equal(header(path).userVersion, 3);
    assert.ok(header(path).walFormat);
  });

  test("reopening applies none twice, and only the missing ones after an upgrade", (t) => {
    const path = join(scratchDirectory(t), "reopen.db");
    assert.deepEqual(labels(path, [FIRST]), ["from 1"]);
    assert.deepEqual(labels(path, [FIRST]), ["from 1"]);
    assert.deepEqual(labels(path, [FIRST, SECOND, THIRD]), ["from 1", "from 2", "from 3"]);
    assert.deepEqual(labels(path, [FIRST, SECOND, THIRD]), ["from 1", "from 2", "from 3"]);
    assert.equal(header(path).userVersion, 3);
  });

  test("a database from a newer meshgate is refused, and left as it was", (t) => {
    const path = join(scratchDirectory(t), "coordinator.db");
    const db = openDatabase(path, [FIRST]);
    db.pragma("journal_mode = DELETE");
    db.pragma("user_version = 7");
    db.close();
    assert.throws(
      () => openDatabase(path, [FIRST, SECOND, THIRD]),
      (error: unknown) => {
        assert.ok(error instanceof StoreError);
        assert.equal(error.path, path);
        assert.equal(error.message, `${path}: written by a newer meshgate (schema 7, this one knows 3): upgrade meshgate`);
        return true;
      },
    );
    assert.deepEqual(header(path), { walFormat: false, userVersion: 7 });
  });

  test("a failing migration is rolled back whole and named in the error", (t) => {
    const path = join(scratchDirectory(t), "broken.db");
    const broken: Migration = { version: 2, name: "half done", sql: "CREATE TABLE half (x INTEGER); INSERT INTO missing VALUES (1);" };
    assert.throws(() => openDatabase(path, [FIRST, broken]), (error: unknown) => {
      assert.ok(error instanceof StoreError);
      assert.match(error.message, /migration 2 \(half done\) failed and was rolled back: no such table: missing/);
      return true;
    });
    assert.equal(header(path).userVersion, 1);
    assert.deepEqual(tables(path, [FIRST]), ["things"]);
    assert.deepEqual(labels(path, [FIRST, SECOND]), ["from 1", "from 2"]);
  });

  test("a migration list with a gap or a wrong order is a programming error", (t) => {
    const path = join(scratchDirectory(t), "list.db");
    assert.throws(() => openDatabase(path, [FIRST, THIRD]), { name: "Error", message: /"most" is number 3 at position 2/ });
    assert.throws(() => openDatabase(path, [SECOND, FIRST]), { name: "Error", message: /"more" is number 2 at position 1/ });
  });

  test("a kind is stamped in the header; a file of another kind is refused untouched, unstamped old files are adopted", (t) => {
    const apples = { name: "apples", applicationId: 0x6170706c };
    const pears = { name: "pears", applicationId: 0x70656172 };
    const path = join(scratchDirectory(t), "fruit.db");
    const db = openDatabase(path, [FIRST], apples, [apples, pears]);
    assert.equal(db.pragma("application_id", { simple: true }), apples.applicationId);
    db.close();
    const before = readFileSync(path);
    assert.throws(() => openDatabase(path, [FIRST, SECOND], pears, [apples, pears]), (error: unknown) => {
      assert.ok(error instanceof StoreError);
      assert.match(error.message, /does not hold a meshgate pears database \(it holds a meshgate apples database\)/);
      return true;
    });
    assert.deepEqual(readFileSync(path), before, "not migrated, not stamped");
    const old = join(scratchDirectory(t), "old.db");
    openDatabase(old, [FIRST]).close(); // no kind: as files were before the stamp
    const adopted = openDatabase(old, [FIRST, SECOND], apples);
    assert.equal(adopted.pragma("application_id", { simple: true }), apples.applicationId);
    adopted.close();
  });

  test("a file that is not a database is refused with what to do", (t) => {
    const path = join(scratchDirectory(t), "notes.db");
    writeFileSync(path, "these are not the pages you are looking for\n".repeat(100));
    assert.throws(() => openDatabase(path, [FIRST]), (error: unknown) => {
      assert.ok(error instanceof StoreError);
      assert.match(error.message, /notes\.db: is not a SQLite database: restore it from a backup, or move it aside/);
      return true;
    });
  });
});
