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
];
