// Time-boxed throughput measurement shared by the benchmarks. Speed is measured here and
// printed, never asserted: a benchmark run reports, tests never fail on timing.

export interface Rate {
  messagesPerSecond: number;
  megabytesPerSecond: number; // 1 MB = 10^6 bytes
}

export interface MeasureOptions {
  seconds: number;
  messagesPerCall: number;
  bytesPerMessage: number;
}

// Calls `run` repeatedly for about `seconds` (after a short warm-up that lets V8 tier the code
// up) and returns the rate. `run` returns the nanoseconds to count for that call, or
// undefined to count the whole call (use it to leave per-call setup out of the timing).
export function measureRate(run: () => number | void, options: MeasureOptions): Rate {
  const warmupEnd = performance.now() + Math.min(200, options.seconds * 250);
  while (performance.now() < warmupEnd) run();
  let calls = 0;
  let countedNs = 0;
  const budgetNs = options.seconds * 1e9;
  while (countedNs < budgetNs) {
    const start = process.hrtime.bigint();
    const timed = run();
    const elapsed = Number(process.hrtime.bigint() - start);
    countedNs += typeof timed === "number" ? timed : elapsed;
    calls++;
  }
  const messagesPerSecond = (calls * options.messagesPerCall) / (countedNs / 1e9);
  return { messagesPerSecond, megabytesPerSecond: (messagesPerSecond * options.bytesPerMessage) / 1e6 };
}

export function formatRate(rate: Rate): string {
  const mbps = rate.megabytesPerSecond.toFixed(rate.megabytesPerSecond < 100 ? 1 : 0);
  const pps = rate.messagesPerSecond >= 1e6 ? `${(rate.messagesPerSecond / 1e6).toFixed(2)}M` : `${(rate.messagesPerSecond / 1e3).toFixed(0)}k`;
  return `${mbps} MB/s ${pps}/s`;
}
