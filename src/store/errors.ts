// Errors the store throws. Like ConfigError they lead with the file, then say what is wrong and
// what to do, so the message alone is enough for the person at the appliance:
// "/var/lib/meshgate/coordinator.db: written by a newer meshgate (schema 7, this one knows 3): upgrade meshgate".

/** A database or key file that cannot be used as it is; `path` is the file. */
export class StoreError extends Error {
  override readonly name: string = "StoreError";
  readonly path: string;

  constructor(path: string, detail: string, options?: { readonly cause?: unknown }) {
    super(`${path}: ${detail}`, options);
    this.path = path;
  }
}

/**
 * A row would repeat a value that must be unique; nothing was written. `table` and `field` use
 * the record's names (e.g. "nodes", "ipv4") so a caller can pick another value and retry.
 */
export class StoreConflictError extends StoreError {
  override readonly name: string = "StoreConflictError";
  readonly table: string;
  readonly field: string;

  constructor(path: string, table: string, field: string, value: string, options?: { readonly cause?: unknown }) {
    super(path, `${table}: ${field} ${JSON.stringify(value)} is already taken: choose another ${field}`, options);
    this.table = table;
    this.field = field;
  }
}
