// Opening a meshgate database: the pragmas every store relies on, then the numbered migrations.
//
// 1. Create the parent directory (0700: the databases name every node and hold auth-key hashes).
// 2. Open with a busy timeout, so a second process (a CLI reading status) waits instead of failing.
// 3. Refuse a file of another kind (PRAGMA application_id: a node's database opened as a
//    coordinator's, say) and a schema newer than the code, before touching the file.
// 4. WAL + synchronous = FULL: a commit returns only once the WAL is fsynced. An appliance on an SD
//    card may lose power at any moment; control-plane writes are rare, so the fsync per commit is
//    cheap, and WAL lets readers run beside the one writer.
// 5. foreign_keys = ON (off by default in SQLite, per connection): removing a node removes its routes.
// 6. Apply each missing migration in its own IMMEDIATE transaction, together with the new
//    `PRAGMA user_version` (the version lives in the database header, so it commits or rolls
//    back with the migration). The version is re-read inside the transaction, so two processes
//    opening the same new file never apply a migration twice.

import Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { StoreError } from "./errors.js";

/**
 * One schema step. Versions start at 1 and follow each other without gaps; `sql` may hold several
 * statements but no BEGIN/COMMIT (the runner owns the transaction) and no `PRAGMA foreign_keys`
 * (SQLite ignores it inside a transaction). A released migration is never edited: add the next one.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * Which of meshgate's databases a file holds, stamped in its header (`PRAGMA application_id`,
 * SQLite's field for exactly this), so one is never migrated as the other.
 */
export interface DatabaseKind {
  readonly name: string; // "coordinator", "node"
  readonly applicationId: number; // a 32-bit tag of our own
}

export const COORDINATOR_DATABASE: DatabaseKind = { name: "coordinator", applicationId: 0x6d67636f }; // "mgco"
export const NODE_DATABASE: DatabaseKind = { name: "node", applicationId: 0x6d676e64 }; // "mgnd"
export const MESHGATE_DATABASES: readonly DatabaseKind[] = [COORDINATOR_DATABASE, NODE_DATABASE];

/** How long a statement waits for another connection's lock before failing with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5_000;

/**
 * Opens (creating if missing) the SQLite database at `path` and brings its schema up to the last
 * of `migrations`. Throws StoreError for a file meshgate cannot use (newer schema, not a database,
 * no WAL support, a failing migration); the database is closed again in that case.
 */
export function openDatabase(path: string, migrations: readonly Migration[], kind?: DatabaseKind, knownKinds: readonly DatabaseKind[] = []): Database.Database {
  checkMigrationList(migrations);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let db: Database.Database;
  try {
    db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  } catch (error) {
    throw explainSqliteError(path, error);
  }
  try {
    const known = migrations.length;
    const current = userVersion(db);
    if (kind !== undefined) checkKind(db, path, kind, knownKinds);
    if (current > known) {
      throw new StoreError(path, `written by a newer meshgate (schema ${current}, this one knows ${known}): upgrade meshgate`);
    }
    const journalMode = db.pragma("journal_mode = WAL", { simple: true });
    if (journalMode !== "wal") {
      throw new StoreError(path, `the filesystem does not support SQLite's WAL mode (got "${String(journalMode)}"): keep meshgate's state on a local disk`);
    }
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    applyMigrations(db, path, migrations);
    // New files, and files from before the stamp (they passed the migrations and the caller's
    // table checks decide), get the kind's id.
    if (kind !== undefined && applicationId(db) === 0) db.pragma(`application_id = ${kind.applicationId}`);
    return db;
  } catch (error) {
    db.close();
    throw error instanceof StoreError ? error : explainSqliteError(path, error);
  }
}

function applyMigrations(db: Database.Database, path: string, migrations: readonly Migration[]): void {
  for (const migration of migrations) {
    if (migration.version <= userVersion(db)) continue;
    const apply = db.transaction(() => {
      // Another process may have migrated between our read and our lock.
      if (migration.version <= userVersion(db)) return;
      db.exec(migration.sql);
      // A pragma cannot take a bound parameter; the version is a checked integer.
      db.pragma(`user_version = ${migration.version}`);
    });
    try {
      apply.immediate();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new StoreError(
        path,
        `migration ${migration.version} (${migration.name}) failed and was rolled back: ${reason}: restore the file from a backup or report this meshgate bug`,
        { cause: error },
      );
    }
  }
}

function applicationId(db: Database.Database): number {
  return db.pragma("application_id", { simple: true }) as number;
}

function checkKind(db: Database.Database, path: string, kind: DatabaseKind, knownKinds: readonly DatabaseKind[]): void {
  const id = applicationId(db);
  if (id === 0 || id === kind.applicationId) return;
  const other = knownKinds.find((known) => known.applicationId === id);
  const what = other === undefined ? `another program's database (application id 0x${(id >>> 0).toString(16)})` : `a meshgate ${other.name} database`;
  throw new StoreError(path, `does not hold a meshgate ${kind.name} database (it holds ${what}): check the path`);
}

function userVersion(db: Database.Database): number {
  return db.pragma("user_version", { simple: true }) as number;
}

// A wrong migration list is a bug in meshgate, not in the user's file: a plain Error.
function checkMigrationList(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`migration "${migration.name}" is number ${migration.version} at position ${index + 1}: versions must run 1, 2, 3, … without gaps`);
    }
  });
}

// SQLite's codes for a file that is not a usable database, with what the user can do about it.
const SQLITE_FIXES: Readonly<Record<string, string>> = {
  SQLITE_NOTADB: "is not a SQLite database: restore it from a backup, or move it aside to start with an empty one",
  SQLITE_CORRUPT: "is corrupt: restore it from a backup, or move it aside to start with an empty one",
  SQLITE_CANTOPEN: "cannot be opened: check that its directory exists and that meshgate's user may write to it",
  SQLITE_READONLY: "is read-only: meshgate needs to write to it and to its directory (for the -wal and -shm files)",
  SQLITE_PERM: "cannot be opened: check that meshgate's user may write to it and to its directory",
  SQLITE_IOERR: "cannot be read or written (I/O error): check the disk",
  SQLITE_FULL: "cannot be written: the disk is full",
};

function explainSqliteError(path: string, error: unknown): unknown {
  if (!(error instanceof Database.SqliteError)) return error;
  const primaryCode = error.code.replace(/^(SQLITE_[A-Z]+).*$/, "$1");
  const fix = SQLITE_FIXES[primaryCode];
  return fix === undefined ? error : new StoreError(path, `${fix} (${error.code}: ${error.message})`, { cause: error });
}
