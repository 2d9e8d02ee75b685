// The coordinator's state in SQLite: users, auth keys, nodes, their routes, the audit log, the
// netmap version. Every statement is prepared once when the store opens; methods are thin
// typed wrappers. The store never reads the clock: every time is an argument, in milliseconds
// since the Unix epoch. Column names are aliased to the record's field names in SQL, so only
// booleans (0/1), the secret hash (a BLOB) and endpoints (JSON) need converting.

import Database from "better-sqlite3";
import { COORDINATOR_DATABASE, MESHGATE_DATABASES, openDatabase } from "./database.js";
import { COORDINATOR_MIGRATIONS } from "./coordinator-migrations.js";
import { StoreConflictError, StoreError } from "./errors.js";
import { createDeviceRepository, type DeviceStore } from "./device-repository.js";

export interface UserRecord { readonly id: number; readonly name: string; readonly createdAt: number }

export interface AuthKeyRecord {
  /** Short public id, e.g. "k3f9a2c1" (shown in lists). */
  readonly id: string;
  readonly userId: number;
  /** SHA-256 of the secret part (32 bytes); the secret itself is never stored. */
  readonly secretHash: Uint8Array;
  readonly reusable: boolean;
  readonly ephemeral: boolean;
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
  readonly usedCount: number;
  readonly createdAt: number;
  readonly description: string;
}

export interface NodeRecord {
  readonly id: number;
  /** WireGuard public key, base64 (unique). */
  readonly nodeKey: string;
  /** Unique. */
  readonly name: string;
  readonly hostname: string;
  readonly userId: number;
  /** Unique. */
  readonly ipv4: string;
  /** Unique. */
  readonly ipv6: string;
  readonly keyExpiresAt: number | null;
  readonly ephemeral: boolean;
  readonly authKeyId: string | null;
  /** "ip:port" / "[ipv6]:port", stored as a JSON array. */
  readonly endpoints: readonly string[];
  readonly listenPort: number | null;
  /** What the node learned of its network (netcheck), as it last reported it. */
  readonly nat: NodeNat | null;
  /** The port of the UDP peer relay the node offers, if any. */
  readonly relayPort: number | null;
  readonly createdAt: number;
  readonly lastSeenAt: number | null;
}

export interface RouteRecord { readonly nodeId: number; readonly prefix: string; readonly advertised: boolean; readonly approved: boolean }

export interface AuditEntry { readonly id: number; readonly at: number; readonly actor: string; readonly action: string; readonly detail: string }

export type NewNode = Omit<NodeRecord, "id" | "lastSeenAt">;

export interface NodeNat {
  readonly udp: boolean | null;
  readonly mappingVariesByDestination: boolean | null;
  readonly portMapping: string | null;
}

/** What a node's report changes. */
export type NodeReportFields = Pick<NodeRecord, "endpoints" | "listenPort" | "hostname" | "nat" | "relayPort">;

export interface CoordinatorStore extends DeviceStore {
  readonly path: string;
  /** Runs `work` in one IMMEDIATE transaction (a savepoint when nested); `work` must be synchronous. */
  transaction<T>(work: () => T): T;
  getMeta(key: string): string | null;
  setMeta(key: string, value: string): void;
  /** 0 on a fresh database. */
  netmapVersion(): number;
  /** Adds `by` (a positive integer, default 1), stores it and returns the new version. */
  bumpNetmapVersion(by?: number): number;
  readonly users: {
    /** The user called `name`, created (at `now`) if there is none. */
    ensure(name: string, now: number): UserRecord;
    byId(id: number): UserRecord | null;
    list(): UserRecord[];
  };
  readonly authKeys: {
    /** Throws StoreConflictError (field "id") when the id is taken. */
    insert(key: AuthKeyRecord): void;
    byId(id: string): AuthKeyRecord | null;
    /** Newest first. */
    list(): AuthKeyRecord[];
    /** usedCount + 1; nothing for an unknown id. */
    recordUse(id: string): void;
    /** false if the key is unknown or already revoked (the first revocation time stays). */
    revoke(id: string, now: number): boolean;
  };
  readonly nodes: {
    /** Throws StoreConflictError naming the field on a duplicate nodeKey, name, ipv4 or ipv6. */
    insert(node: NewNode): NodeRecord;
    byId(id: number): NodeRecord | null;
    byKey(nodeKey: string): NodeRecord | null;
    byName(name: string): NodeRecord | null;
    /** By id. */
    list(): NodeRecord[];
    /** What the node last reported about itself; nothing for an unknown id. */
    updateReport(id: number, report: NodeReportFields): void;
    /** Sets lastSeenAt; nothing for an unknown id. */
    touch(id: number, now: number): void;
    setKeyExpiry(id: number, expiresAt: number | null): void;
    /** Also removes its routes (ON DELETE CASCADE); false if unknown. */
    remove(id: number): boolean;
    /** Whether a node or a device has this IPv4 address / a node has this name (index lookups, not scans). */
    ipv4Taken(ipv4: string): boolean;
    nameTaken(name: string): boolean;
  };
  readonly routes: {
    /** Inserts or replaces the flags of (nodeId, prefix). */
    set(nodeId: number, prefix: string, advertised: boolean, approved: boolean): void;
    remove(nodeId: number, prefix: string): boolean;
    /** Ordered by prefix. */
    forNode(nodeId: number): RouteRecord[];
    /** Advertised AND approved, ordered by node id then prefix. */
    approved(): RouteRecord[];
    /** Every row (advertised, approved or both), ordered by node id then prefix. */
    list(): RouteRecord[];
  };
  readonly audit: {
    append(at: number, actor: string, action: string, detail: string): void;
    /** Newest (last appended) first, at most `limit`. */
    recent(limit: number): AuditEntry[];
  };
  close(): void;
}

// Rows as SQLite returns them: the aliased columns below, booleans still 0/1.
interface AuthKeyRow extends Omit<AuthKeyRecord, "secretHash" | "reusable" | "ephemeral"> { secretHash: Uint8Array; reusable: number; ephemeral: number }
interface NodeRow extends Omit<NodeRecord, "ephemeral" | "endpoints" | "nat"> { ephemeral: number; endpoints: string; nat: string | null }
interface RouteRow { nodeId: number; prefix: string; advertised: number; approved: number }

const USER_COLUMNS = "id, name, created_at AS createdAt";
const AUTH_KEY_COLUMNS = `id, user_id AS userId, secret_hash AS secretHash, reusable, ephemeral, expires_at AS expiresAt,
  revoked_at AS revokedAt, used_count AS usedCount, created_at AS createdAt, description`;
const NODE_COLUMNS = `id, node_key AS nodeKey, name, hostname, user_id AS userId, ipv4, ipv6, key_expires_at AS keyExpiresAt,
  ephemeral, auth_key_id AS authKeyId, endpoints, listen_port AS listenPort, nat, relay_port AS relayPort, created_at AS createdAt,
  last_seen_at AS lastSeenAt`;
const ROUTE_COLUMNS = "node_id AS nodeId, prefix, advertised, approved";

// SQLite column → record field, for naming the field in a StoreConflictError.
const UNIQUE_FIELDS: Readonly<Record<string, string>> = {
  "nodes.node_key": "nodeKey",
  "nodes.name": "name",
  "nodes.ipv4": "ipv4",
  "nodes.ipv6": "ipv6",
  "auth_keys.id": "id",
};

/** Opens (creating and migrating if needed) the coordinator database at `path`. */
export function openCoordinatorStore(path: string): CoordinatorStore {
  const db = openDatabase(path, COORDINATOR_MIGRATIONS, COORDINATOR_DATABASE, MESHGATE_DATABASES);
  try {
    return createCoordinatorStore(db, path);
  } catch (error) {
    db.close();
    // A table the migrations would have made is missing: the file is a node's database (or some
    // other SQLite file) whose user_version happens to look current.
    if (error instanceof Database.SqliteError && error.message.startsWith("no such table")) {
      throw new StoreError(path, `does not hold a meshgate coordinator database (${error.message}): check the path`, { cause: error });
    }
    throw error;
  }
}

function createCoordinatorStore(db: Database.Database, path: string): CoordinatorStore {
  const sql = {
    metaGet: db.prepare<[string], string>("SELECT value FROM meta WHERE key = ?").pluck(),
    metaSet: db.prepare<[string, string]>("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
    netmapVersion: db.prepare<[], number>("SELECT version FROM netmap_version").pluck(),
    netmapBump: db.prepare<[number], number>("UPDATE netmap_version SET version = version + ? RETURNING version").pluck(),

    userByName: db.prepare<[string], UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE name = ?`),
    userById: db.prepare<[number], UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`),
    userList: db.prepare<[], UserRecord>(`SELECT ${USER_COLUMNS} FROM users ORDER BY id`),
    userInsert: db.prepare<[string, number]>("INSERT INTO users (name, created_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"),

    keyInsert: db.prepare<[Record<string, unknown>]>(`INSERT INTO auth_keys
      (id, user_id, secret_hash, reusable, ephemeral, expires_at, revoked_at, used_count, created_at, description)
      VALUES (@id, @userId, @secretHash, @reusable, @ephemeral, @expiresAt, @revokedAt, @usedCount, @createdAt, @description)`),
    keyById: db.prepare<[string], AuthKeyRow>(`SELECT ${AUTH_KEY_COLUMNS} FROM auth_keys WHERE id = ?`),
    // rowid breaks ties between keys created in the same millisecond: the later insert is newer.
    keyList: db.prepare<[], AuthKeyRow>(`SELECT ${AUTH_KEY_COLUMNS} FROM auth_keys ORDER BY created_at DESC, rowid DESC`),
    keyUse: db.prepare<[string]>("UPDATE auth_keys SET used_count = used_count + 1 WHERE id = ?"),
    keyRevoke: db.prepare<[number, string]>("UPDATE auth_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"),

    nodeInsert: db.prepare<[Record<string, unknown>], NodeRow>(`INSERT INTO nodes
      (node_key, name, hostname, user_id, ipv4, ipv6, key_expires_at, ephemeral, auth_key_id, endpoints, listen_port, nat, relay_port, created_at)
      VALUES (@nodeKey, @name, @hostname, @userId, @ipv4, @ipv6, @keyExpiresAt, @ephemeral, @authKeyId, @endpoints, @listenPort, @nat, @relayPort, @createdAt)
      RETURNING ${NODE_COLUMNS}`),
    nodeById: db.prepare<[number], NodeRow>(`SELECT ${NODE_COLUMNS} FROM nodes WHERE id = ?`),
    nodeByKey: db.prepare<[string], NodeRow>(`SELECT ${NODE_COLUMNS} FROM nodes WHERE node_key = ?`),
    nodeByName: db.prepare<[string], NodeRow>(`SELECT ${NODE_COLUMNS} FROM nodes WHERE name = ?`),
    nodeList: db.prepare<[], NodeRow>(`SELECT ${NODE_COLUMNS} FROM nodes ORDER BY id`),
    nodeReport: db.prepare<[string, number | null, string, string | null, number | null, number]>(
      "UPDATE nodes SET endpoints = ?, listen_port = ?, hostname = ?, nat = ?, relay_port = ? WHERE id = ?",
    ),
    nodeTouch: db.prepare<[number, number]>("UPDATE nodes SET last_seen_at = ? WHERE id = ?"),
    nodeKeyExpiry: db.prepare<[number | null, number]>("UPDATE nodes SET key_expires_at = ? WHERE id = ?"),
    nodeRemove: db.prepare<[number]>("DELETE FROM nodes WHERE id = ?"),
    // Nodes and devices draw from one pool.
    nodeIpv4Taken: db.prepare<[string, string], number>("SELECT 1 FROM nodes WHERE ipv4 = ? UNION ALL SELECT 1 FROM devices WHERE ipv4 = ?").pluck(),
    nodeNameTaken: db.prepare<[string], number>("SELECT 1 FROM nodes WHERE name = ?").pluck(),

    routeSet: db.prepare<[number, string, number, number]>(`INSERT INTO routes (node_id, prefix, advertised, approved) VALUES (?, ?, ?, ?)
      ON CONFLICT (node_id, prefix) DO UPDATE SET advertised = excluded.advertised, approved = excluded.approved`),
    routeRemove: db.prepare<[number, string]>("DELETE FROM routes WHERE node_id = ? AND prefix = ?"),
    routesForNode: db.prepare<[number], RouteRow>(`SELECT ${ROUTE_COLUMNS} FROM routes WHERE node_id = ? ORDER BY prefix`),
    routesApproved: db.prepare<[], RouteRow>(`SELECT ${ROUTE_COLUMNS} FROM routes WHERE advertised = 1 AND approved = 1 ORDER BY node_id, prefix`),
    routesList: db.prepare<[], RouteRow>(`SELECT ${ROUTE_COLUMNS} FROM routes ORDER BY node_id, prefix`),

    auditAppend: db.prepare<[number, string, string, string]>("INSERT INTO audit (at, actor, action, detail) VALUES (?, ?, ?, ?)"),
    auditRecent: db.prepare<[number], AuditEntry>("SELECT id, at, actor, action, detail FROM audit ORDER BY id DESC LIMIT ?"),
  };
  const inTransaction = db.transaction((work: () => unknown) => work());

  // Turns SQLite's "UNIQUE constraint failed: nodes.ipv4" into an error naming the record field.
  function conflict(error: unknown, record: object): unknown {
    if (!(error instanceof Database.SqliteError)) return error;
    if (error.code !== "SQLITE_CONSTRAINT_UNIQUE" && error.code !== "SQLITE_CONSTRAINT_PRIMARYKEY") return error;
    const column = /constraint failed: (\w+\.\w+)/.exec(error.message)?.[1];
    const field = column === undefined ? undefined : UNIQUE_FIELDS[column];
    if (column === undefined || field === undefined) return error;
    return new StoreConflictError(path, column.split(".")[0]!, field, String((record as Record<string, unknown>)[field]), { cause: error });
  }

  return {
    path,
    transaction: <T>(work: () => T): T => inTransaction.immediate(work) as T,
    getMeta: (key) => sql.metaGet.get(key) ?? null,
    setMeta: (key, value) => void sql.metaSet.run(key, value),
    netmapVersion: () => sql.netmapVersion.get() ?? 0,
    bumpNetmapVersion(by = 1) {
      if (!Number.isSafeInteger(by) || by < 1) throw new RangeError(`bumpNetmapVersion: by must be a positive integer, got ${by}`);
      return sql.netmapBump.get(by)!;
    },
    users: {
      ensure(name, now) {
        const existing = sql.userByName.get(name);
        if (existing !== undefined) return existing;
        sql.userInsert.run(name, now);
        return sql.userByName.get(name)!;
      },
      byId: (id) => sql.userById.get(id) ?? null,
      list: () => sql.userList.all(),
    },
    authKeys: {
      insert(key) {
        try {
          sql.keyInsert.run({
            id: key.id, userId: key.userId, secretHash: key.secretHash, reusable: bit(key.reusable), ephemeral: bit(key.ephemeral),
            expiresAt: key.expiresAt, revokedAt: key.revokedAt, usedCount: key.usedCount, createdAt: key.createdAt, description: key.description,
          });
        } catch (error) {
          throw conflict(error, key);
        }
      },
      byId: (id) => authKeyRecord(sql.keyById.get(id)),
      list: () => sql.keyList.all().map((row) => authKeyRecord(row)!),
      recordUse: (id) => void sql.keyUse.run(id),
      revoke: (id, now) => sql.keyRevoke.run(now, id).changes === 1,
    },
    nodes: {
      insert(node) {
        try {
          return nodeRecord(sql.nodeInsert.get({
            nodeKey: node.nodeKey, name: node.name, hostname: node.hostname, userId: node.userId, ipv4: node.ipv4, ipv6: node.ipv6,
            keyExpiresAt: node.keyExpiresAt, ephemeral: bit(node.ephemeral), authKeyId: node.authKeyId,
            endpoints: JSON.stringify(node.endpoints), listenPort: node.listenPort, nat: node.nat === null ? null : JSON.stringify(node.nat),
            relayPort: node.relayPort, createdAt: node.createdAt,
          }))!;
        } catch (error) {
          throw conflict(error, node);
        }
      },
      byId: (id) => nodeRecord(sql.nodeById.get(id)),
      byKey: (nodeKey) => nodeRecord(sql.nodeByKey.get(nodeKey)),
      byName: (name) => nodeRecord(sql.nodeByName.get(name)),
      list: () => sql.nodeList.all().map((row) => nodeRecord(row)!),
      updateReport: (id, report) =>
        void sql.nodeReport.run(JSON.stringify(report.endpoints), report.listenPort, report.hostname, report.nat === null ? null : JSON.stringify(report.nat), report.relayPort, id),
      touch: (id, now) => void sql.nodeTouch.run(now, id),
      setKeyExpiry: (id, expiresAt) => void sql.nodeKeyExpiry.run(expiresAt, id),
      remove: (id) => sql.nodeRemove.run(id).changes === 1,
      ipv4Taken: (ipv4) => sql.nodeIpv4Taken.get(ipv4, ipv4) !== undefined,
      nameTaken: (name) => sql.nodeNameTaken.get(name) !== undefined,
    },
    routes: {
      set: (nodeId, prefix, advertised, approved) => void sql.routeSet.run(nodeId, prefix, bit(advertised), bit(approved)),
      remove: (nodeId, prefix) => sql.routeRemove.run(nodeId, prefix).changes === 1,
      forNode: (nodeId) => sql.routesForNode.all(nodeId).map(routeRecord),
      approved: () => sql.routesApproved.all().map(routeRecord),
      list: () => sql.routesList.all().map(routeRecord),
    },
    audit: {
      append: (at, actor, action, detail) => void sql.auditAppend.run(at, actor, action, detail),
      recent: (limit) => sql.auditRecent.all(limit),
    },
    ...createDeviceRepository(db, path),
    close: () => void db.close(),
  };
}

// SQLite has no boolean type and better-sqlite3 binds no JS booleans.
const bit = (flag: boolean): number => (flag ? 1 : 0);

function authKeyRecord(row: AuthKeyRow | undefined): AuthKeyRecord | null {
  if (row === undefined) return null;
  // better-sqlite3 returns BLOBs as Buffers; hand out a plain Uint8Array like the one stored.
  return { ...row, secretHash: new Uint8Array(row.secretHash), reusable: row.reusable === 1, ephemeral: row.ephemeral === 1 };
}

function nodeRecord(row: NodeRow | undefined): NodeRecord | null {
  if (row === undefined) return null;
  // The CHECK on the column guarantees a JSON array.
  return { ...row, ephemeral: row.ephemeral === 1, endpoints: JSON.parse(row.endpoints) as string[], nat: row.nat === null ? null : (JSON.parse(row.nat) as NodeNat) };
}

function routeRecord(row: RouteRow): RouteRecord {
  return { nodeId: row.nodeId, prefix: row.prefix, advertised: row.advertised === 1, approved: row.approved === 1 };
}
