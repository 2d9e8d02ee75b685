// A node's schema, one numbered step at a time (see database.ts for how they run). SQL lives in
// TypeScript because tsc does not copy .sql files into dist/. The node's private key is not here:
// it lives in its own 0600 file (key-file.ts).

import type { Migration } from "./database.js";

export const NODE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "settings, last netmap",
    sql: `
      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT, WITHOUT ROWID;

      -- The last netmap the coordinator sent, so the node can bring its peers up after a reboot
      -- before the coordinator answers. One row, replaced on every save.
      CREATE TABLE netmap (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        version   INTEGER NOT NULL CHECK (version >= 0),
        body      TEXT NOT NULL,
        saved_at  INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: "traffic history",
    sql: `
      -- Traffic history (src/traffic): each peer's byte counters sampled every 10 s and kept 2 h,
      -- rolled up into 5-minute buckets kept 48 h and 30-minute buckets kept 8 days; at most
      -- ~1,680 rows per peer (src/traffic/traffic-tiers.ts). Times: ms since the Unix epoch.

      -- The peers that have history, by node key; rows below refer to them by a small integer
      -- rather than repeating a 44-character key. A peer goes when its last row does.
      CREATE TABLE traffic_peers (
        id   INTEGER PRIMARY KEY,
        key  TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL -- as of its last sample
      ) STRICT;

      -- The device's cumulative counters as sampled; rates are made from consecutive samples
      -- (src/traffic/traffic-rates.ts). Keyed by time first: one sample's rows sit side by side at
      -- the end of the tree, so a commit every 10 s touches one or two pages.
      CREATE TABLE traffic_samples (
        at       INTEGER NOT NULL,
        peer_id  INTEGER NOT NULL REFERENCES traffic_peers (id),
        rx_bytes INTEGER NOT NULL CHECK (rx_bytes >= 0),
        tx_bytes INTEGER NOT NULL CHECK (tx_bytes >= 0),
        PRIMARY KEY (at, peer_id)
      ) STRICT, WITHOUT ROWID;

      -- The bytes that moved in [start, start + bucket_ms) over span_ms of measured time (the
      -- bucket's rate is bytes / span), one table for every rollup tier.
      CREATE TABLE traffic_buckets (
        bucket_ms INTEGER NOT NULL CHECK (bucket_ms > 0),
        start     INTEGER NOT NULL,
        peer_id   INTEGER NOT NULL REFERENCES traffic_peers (id),
        rx_bytes  INTEGER NOT NULL CHECK (rx_bytes >= 0),
        tx_bytes  INTEGER NOT NULL CHECK (tx_bytes >= 0),
        span_ms   INTEGER NOT NULL CHECK (span_ms > 0),
        PRIMARY KEY (bucket_ms, start, peer_id)
      ) STRICT, WITHOUT ROWID;

      -- How far each tier is rolled up: the end of its last complete bucket.
      CREATE TABLE traffic_rollups (
        bucket_ms INTEGER PRIMARY KEY CHECK (bucket_ms > 0),
        through   INTEGER NOT NULL
      ) STRICT;
    `,
  },
];
