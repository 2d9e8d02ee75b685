// A log line of running totals that says something only when the totals change, at most one
// line per LINE_INTERVAL_MS: the counters behind it can move tens of thousands of times a second
// (a handshake flood, a TCP stream through the offloads), and a line per event would be a flood
// of its own. The caller polls (say every second) and flushes once at shutdown, so the last
// totals are never lost.

export const LINE_INTERVAL_MS = 10_000;

export interface CountsLine {
  readonly counts: string; // the part that is compared: a change here is worth a line
  readonly text: string; // the whole line
}

export interface CountsReport {
  // Logs a line if the counts changed and the last line is at least LINE_INTERVAL_MS old.
  poll(): void;
  // Logs a line if the counts changed since the last one, whatever its age.
  flush(): void;
}

export function createCountsReport(describe: (now: number) => CountsLine, log: (line: string) => void, now: () => number): CountsReport {
  let lastLineAt = -Infinity;
  // Nothing to say until something changes from what the counters start with.
  let lastCounts = describe(now()).counts;

  const report = (force: boolean): void => {
    const at = now();
    if (!force && at - lastLineAt < LINE_INTERVAL_MS) return;
    const { counts, text } = describe(at);
    if (counts === lastCounts) return;
    lastCounts = counts;
    lastLineAt = at;
    log(text);
  };

  return {
    poll: () => report(false),
    flush: () => report(true),
  };
}
