// The options every benchmark takes: --json (one JSON object as the last stdout line) and
// --seconds S (how long each measurement runs).

export interface BenchOptions {
  readonly json: boolean;
  readonly seconds: number;
}

export function parseBenchOptions(argv: readonly string[], defaultSeconds: number): BenchOptions {
  let json = false;
  let seconds = defaultSeconds;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--json") json = true;
    else if (argv[i] === "--seconds" && Number(argv[i + 1]) > 0) seconds = Number(argv[++i]);
    else throw new Error(`unknown option ${argv[i]} (options: --json, --seconds S with S > 0)`);
  }
  return { json, seconds };
}
