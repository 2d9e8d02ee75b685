// A node's own state in SQLite: its settings, the last netmap it received and its traffic history
// (traffic-repository.ts). Statements are prepared once when the store opens; the store never
// reads the clock (`now` is an argument, milliseconds since the Unix epoch).

import Database from "better-sqlite3";
import { MESHGATE_DATABASES, NODE_DATABASE, openDatabase } from "./database.js";
import { NODE_MIGRATIONS } from "./node-migrations.js";
import { StoreError } from "./errors.js";
import { createTrafficRepository, type TrafficStore } from "./traffic-repository.js";

export interface NodeStore extends TrafficStore {
  readonly path: string;
  getSetting(key: string): string | null;
  setSetting(key: string, value: string): void;
  /** Nothing happens for a key that is not set. */
  deleteSetting(key: string): void;
  /** Replaces the one saved netmap. */
  saveNetmap(version: number, body: string, now: number): void;
  loadNetmap(): { version: number; body: string; savedAt: number } | null;
  close(): void;
}

/** Opens (creating and migrating if needed) the node database at `path`. */
export function openNodeStore(path: string): NodeStore {
  const db = openDatabase(path, NODE_MIGRATIONS, NODE_DATABASE, MESHGATE_DATABASES);
  try {
    return createNodeStore(db, path);
  } catch (error) {
    db.close();
    // A table the migrations would have made is missing: the file is a coordinator's database
    // (or some other SQLite file) whose user_version happens to look current.
    if (error instanceof Database.SqliteError && error.message.startsWith("no such table")) {
      throw new StoreError(path, `does not hold a meshgate node database (${error.message}): check the path`, { cause: error });
    }
    throw error;
  }
}

function createNodeStore(db: Database.Database, path: string): NodeStore {
  const sql = {
    settingGet: db.prepare<[string], string>("SELECT value FROM settings WHERE key = ?").pluck(),
    settingSet: db.prepare<[string, string]>("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
    settingDelete: db.prepare<[string]>("DELETE FROM settings WHERE key = ?"),
    netmapSave: db.prepare<[number, string, number]>(`INSERT INTO netmap (singleton, version, body, saved_at) VALUES (1, ?, ?, ?)
      ON CONFLICT (singleton) DO UPDATE SET version = excluded.version, body = excluded.body, saved_at = excluded.saved_at`),
    netmapLoad: db.prepare<[], { version: number; body: string; savedAt: number }>("SELECT version, body, saved_at AS savedAt FROM netmap"),
  };
  return {
    ...createTrafficRepository(db),
    path,
    getSetting: (key) => sql.settingGet.get(key) ?? null,
    setSetting: (key, value) => void sql.settingSet.run(key, value),
    deleteSetting: (key) => void sql.settingDelete.run(key),
    saveNetmap: (version, body, now) => void sql.netmapSave.run(version, body, now),
    loadNetmap: () => sql.netmapLoad.get() ?? null,
    close: () => void db.close(),
  };
}
