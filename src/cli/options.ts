// Command-line options: --name value, --name=value and --flag, checked against what the command
// accepts, so a typo is an error naming the option instead of something silently ignored.

export class UsageError extends Error {
  override readonly name = "UsageError";
}

// "boolean": --flag alone; "toggle": --flag (true) or --flag=true|false, for a setting whose
// default is on or that a later command must be able to turn off.
export type OptionKinds = Readonly<Record<string, "string" | "boolean" | "toggle">>;

export interface ParsedArguments {
  readonly strings: Readonly<Record<string, string>>;
  readonly flags: ReadonlySet<string>;
  readonly toggles: Readonly<Record<string, boolean>>;
  readonly operands: readonly string[];
}

export function parseArguments(args: readonly string[], kinds: OptionKinds): ParsedArguments {
  const strings: Record<string, string> = {};
  const flags = new Set<string>();
  const toggles: Record<string, boolean> = {};
  const operands: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith("--")) {
      operands.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const kind = kinds[name];
    if (kind === undefined) throw new UsageError(`unknown option --${name}`);
    if (kind === "toggle") {
      if (inline !== undefined && inline !== "true" && inline !== "false") throw new UsageError(`--${name} is true or false (--${name}=false), got "${inline}"`);
      toggles[name] = inline !== "false";
    } else if (kind === "boolean") {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      flags.add(name);
    } else {
      const value = inline ?? args[++i];
      if (value === undefined || (inline === undefined && value.startsWith("--"))) throw new UsageError(`--${name} needs a value`);
      strings[name] = value;
    }
  }
  return { strings, flags, toggles, operands };
}

// "90s", "30m", "24h", "7d" → milliseconds.
export function parseDuration(text: string): number {
  const match = /^([1-9][0-9]*)(s|m|h|d)$/.exec(text);
  if (match === null) throw new UsageError(`"${text}" is not a duration: use a number and s, m, h or d (e.g. 24h, 7d)`);
  return Number(match[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as "s" | "m" | "h" | "d"];
}

export function parsePort(text: string, option: string): number {
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) > 65535) throw new UsageError(`--${option} must be a port number from 0 to 65535`);
  return Number(text);
}
