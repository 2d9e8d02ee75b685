// The one error configuration parsing throws. Per our error rule it names the file, the
// 1-based line and the field, and says what was expected, so the message alone is enough to
// fix the file.

/**
 * A configuration mistake, located for the person who has to fix it:
 * "wg0.conf:7: PublicKey: expected a base64 WireGuard key (44 characters ending in '='), got \"abc\"".
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly source: string;
  /** 1-based line number. */
  readonly line: number;
  /** Canonical field name (e.g. "PublicKey") when the error is about one field. */
  readonly field?: string;

  constructor(source: string, line: number, field: string | undefined, detail: string) {
    super(`${source}:${line}: ${field === undefined ? "" : `${field}: `}${detail}`);
    this.source = source;
    this.line = line;
    if (field !== undefined) this.field = field;
  }
}
