// The options every benchmark takes: --json (one JSON object as the last stdout line) and
// --seconds S (how long each measurement runs); a benchmark may add positive numeric options
// of its own (--rate N), each with a default.

export interface BenchOptions {
  readonly json: boolean;
  readonly seconds: number;
}

export function parseBenchOptions<Extra extends string = never>(
  argv: readonly string[],
  defaultSeconds: number,
  extra: Readonly<Record<Extra, number>> = {} as Record<Extra, number>,
): BenchOptions & Readonly<Record<Extra, number>> {
  let json = false;
  let seconds = defaultSeconds;
  const numbers: Record<string, number> = { ...extra };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!.replace(/^--/, "");
    if (argv[i] === "--json") json = true;
    else if ((name === "seconds" || name in extra) && argv[i]!.startsWith("--") && Number(argv[i + 1]) > 0) {
      if (name === "seconds") seconds = Number(argv[++i]);
      else numbers[name] = Number(argv[++i]);
    } else {
      const others = Object.keys(extra).map((key) => `, --${key} N`).join("");
      throw new Error(`unknown option ${argv[i]} (options: --json, --seconds S${others}; numbers > 0)`);
    }
  }
  return { ...(numbers as Record<Extra, number>), json, seconds };
}
