// The coordinator's schema, one numbered step at a time (see database.ts for how they run).
// SQL lives here rather than in .sql files because tsc does not copy them into dist/.
//
// Conventions: STRICT tables (a wrong type is an error, not a silent conversion); times are
// INTEGER milliseconds since the Unix epoch, passed in by the caller; booleans are INTEGER 0/1
// with a CHECK; every foreign key column has an index, so a cascade or SET NULL is no table scan.

import type { Migration } from "./database.js";

export const COORDINATOR_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "users, auth keys, nodes, routes, audit log",
    sql: `
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT, WITHOUT ROWID;

      -- One row: the netmap version every node compares against. Its own typed column, not a
      -- meta string, so the +1 is one atomic UPDATE.
      CREATE TABLE netmap_version (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        version   INTEGER NOT NULL CHECK (version >= 0)
      ) STRICT;
      INSERT INTO netmap_version (singleton, version) VALUES (1, 0);

      CREATE TABLE users (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
      ) STRICT;

      -- Only the SHA-256 of an auth key's secret is kept: a copy of this file enrolls no one.
      CREATE TABLE auth_keys (
        id          TEXT PRIMARY KEY,
        user_id     INTEGER NOT NULL REFERENCES users (id),
        secret_hash BLOB NOT NULL CHECK (length(secret_hash) = 32),
        reusable    INTEGER NOT NULL CHECK (reusable IN (0, 1)),
        ephemeral   INTEGER NOT NULL CHECK (ephemeral IN (0, 1)),
        expires_at  INTEGER,
        revoked_at  INTEGER,
        used_count  INTEGER NOT NULL DEFAULT 0 CHECK (used_count >= 0),
        created_at  INTEGER NOT NULL,
        description TEXT NOT NULL DEFAULT ''
      ) STRICT;
      CREATE INDEX auth_keys_user ON auth_keys (user_id);
      CREATE INDEX auth_keys_created ON auth_keys (created_at);

      -- AUTOINCREMENT: a removed node's id is never handed to a new node, so a stale netmap or
      -- log line cannot point at the wrong machine.
      CREATE TABLE nodes (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        node_key       TEXT NOT NULL UNIQUE,
        name           TEXT NOT NULL UNIQUE,
        hostname       TEXT NOT NULL,
        user_id        INTEGER NOT NULL REFERENCES users (id),
        ipv4           TEXT NOT NULL UNIQUE,
        ipv6           TEXT NOT NULL UNIQUE,
        key_expires_at INTEGER,
        ephemeral      INTEGER NOT NULL CHECK (ephemeral IN (0, 1)),
        auth_key_id    TEXT REFERENCES auth_keys (id) ON DELETE SET NULL,
        endpoints      TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(endpoints) AND json_type(endpoints) = 'array'),
        listen_port    INTEGER CHECK (listen_port BETWEEN 0 AND 65535),
        created_at     INTEGER NOT NULL,
        last_seen_at   INTEGER
      ) STRICT;
      CREATE INDEX nodes_user ON nodes (user_id);
      CREATE INDEX nodes_auth_key ON nodes (auth_key_id);

      CREATE TABLE routes (
        node_id    INTEGER NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
        prefix     TEXT NOT NULL,
        advertised INTEGER NOT NULL CHECK (advertised IN (0, 1)),
        approved   INTEGER NOT NULL CHECK (approved IN (0, 1)),
        PRIMARY KEY (node_id, prefix)
      ) STRICT, WITHOUT ROWID;
      -- The routes that reach the netmap, read on every netmap build.
      CREATE INDEX routes_live ON routes (node_id, prefix) WHERE advertised = 1 AND approved = 1;

      CREATE TABLE audit (
        id     INTEGER PRIMARY KEY AUTOINCREMENT,
        at     INTEGER NOT NULL,
        actor  TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: "what nodes report of their reachability: NAT facts, a UDP relay port",
    sql: `
      -- {"udp":…,"mappingVariesByDestination":…,"portMapping":…} as the node last reported it.
      ALTER TABLE nodes ADD COLUMN nat TEXT CHECK (nat IS NULL OR (json_valid(nat) AND json_type(nat) = 'object'));
      -- The port of the UDP peer relay the node offers (meshgate up --relay-port), if any.
      ALTER TABLE nodes ADD COLUMN relay_port INTEGER CHECK (relay_port BETWEEN 1 AND 65535);
    `,
  },
  {
    version: 3,
    name: "devices without meshgate, hosted by a node",
    sql: `
      -- A phone or tablet with the stock WireGuard app, reached through the node hosting it. Its
      -- addresses come from the node pool, so no node and no device share one.
      CREATE TABLE devices (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        host_node_id INTEGER NOT NULL REFERENCES nodes (id) ON DELETE CASCADE,
        name         TEXT NOT NULL,
        public_key   TEXT NOT NULL UNIQUE,
        ipv4         TEXT NOT NULL UNIQUE,
        ipv6         TEXT NOT NULL UNIQUE,
        created_at   INTEGER NOT NULL,
        UNIQUE (host_node_id, name)
      ) STRICT;
      CREATE INDEX devices_host ON devices (host_node_id);
    `,
  },
];
