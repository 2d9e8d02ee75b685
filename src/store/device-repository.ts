// The coordinator's devices without meshgate (migration 3): phones and tablets that reach the
// mesh through a node hosting them. Each has its own WireGuard key and mesh addresses from the
// node pool; removing the host removes its devices (ON DELETE CASCADE).

import Database from "better-sqlite3";
import { StoreConflictError } from "./errors.js";

export interface DeviceRecord {
  readonly id: number;
  readonly hostNodeId: number;
  readonly name: string; // unique per host
  readonly publicKey: string; // WireGuard public key, base64 (unique)
  readonly ipv4: string;
  readonly ipv6: string;
  readonly createdAt: number;
}

export type NewDevice = Omit<DeviceRecord, "id">;

export interface DeviceStore {
  readonly devices: {
    /** Throws StoreConflictError naming the field on a name the host already uses, or a key or address already taken. */
    insert(device: NewDevice): DeviceRecord;
    /** By name. */
    forNode(hostNodeId: number): DeviceRecord[];
    byKey(publicKey: string): DeviceRecord | null;
    /** All, by host then name. */
    list(): DeviceRecord[];
    /** false if unknown. */
    remove(id: number): boolean;
    countForNode(hostNodeId: number): number;
  };
}

const COLUMNS = "id, host_node_id AS hostNodeId, name, public_key AS publicKey, ipv4, ipv6, created_at AS createdAt";
const FIELDS: Readonly<Record<string, keyof DeviceRecord>> = {
  "devices.public_key": "publicKey",
  "devices.ipv4": "ipv4",
  "devices.ipv6": "ipv6",
  "devices.host_node_id, devices.name": "name",
};

export function createDeviceRepository(db: Database.Database, path: string): DeviceStore {
  const sql = {
    insert: db.prepare<[Record<string, unknown>], DeviceRecord>(`INSERT INTO devices (host_node_id, name, public_key, ipv4, ipv6, created_at)
      VALUES (@hostNodeId, @name, @publicKey, @ipv4, @ipv6, @createdAt) RETURNING ${COLUMNS}`),
    forNode: db.prepare<[number], DeviceRecord>(`SELECT ${COLUMNS} FROM devices WHERE host_node_id = ? ORDER BY name`),
    byKey: db.prepare<[string], DeviceRecord>(`SELECT ${COLUMNS} FROM devices WHERE public_key = ?`),
    list: db.prepare<[], DeviceRecord>(`SELECT ${COLUMNS} FROM devices ORDER BY host_node_id, name`),
    remove: db.prepare<[number]>("DELETE FROM devices WHERE id = ?"),
    count: db.prepare<[number], number>("SELECT count(*) FROM devices WHERE host_node_id = ?").pluck(),
  };
  return {
    devices: {
      insert(device) {
        try {
          return sql.insert.get({ ...device })!;
        } catch (error) {
          if (error instanceof Database.SqliteError && error.code === "SQLITE_CONSTRAINT_UNIQUE") {
            const columns = /constraint failed: (.+)$/.exec(error.message)?.[1] ?? "";
            const field = FIELDS[columns];
            if (field !== undefined) throw new StoreConflictError(path, "devices", field, String(device[field as keyof NewDevice]), { cause: error });
          }
          throw error;
        }
      },
      forNode: (hostNodeId) => sql.forNode.all(hostNodeId),
      byKey: (publicKey) => sql.byKey.get(publicKey) ?? null,
      list: () => sql.list.all(),
      remove: (id) => sql.remove.run(id).changes > 0,
      countForNode: (hostNodeId) => sql.count.get(hostNodeId) ?? 0,
    },
  };
}
