// Refusals logged at a bounded rate: a flood must not become a flood of log lines (or of disk
// writes on an SD card). The first refusal of each interval is logged as it happens, with its
// detail; the others are counted by reason, and one summary line per interval reports them —
// at most two lines per interval whatever the traffic. Details name sources and the first
// characters of public keys, never secrets. Time is an argument; `flush` is called on the
// coordinator's housekeeping tick so a summary comes out even when the traffic stops.

export const REFUSAL_LOG_INTERVAL_MS = 10_000;

export interface RefusalLog {
  note(now: number, reason: string, detail: string): void;
  flush(now: number): void;
}

export function createRefusalLog(log: (line: string) => void, intervalMs = REFUSAL_LOG_INTERVAL_MS): RefusalLog {
  let windowStart = -Infinity;
  let loggedInWindow = false;
  const suppressed = new Map<string, number>(); // reason → count; reasons are a fixed few strings

  const flush = (now: number): void => {
    if (now - windowStart < intervalMs) return;
    if (suppressed.size > 0) {
      let total = 0;
      const parts: string[] = [];
      for (const [reason, count] of suppressed) {
        total += count;
        parts.push(`${reason} ${count}`);
      }
      log(`control: ${total} more refusal${total === 1 ? "" : "s"} in the last ${Math.round((now - windowStart) / 1000)} s (${parts.join(", ")})`);
      suppressed.clear();
    }
    windowStart = now;
    loggedInWindow = false;
  };

  return {
    note(now, reason, detail) {
      flush(now);
      if (!loggedInWindow) {
        loggedInWindow = true;
        log(`control: refused (${reason}): ${detail}`);
        return;
      }
      suppressed.set(reason, (suppressed.get(reason) ?? 0) + 1);
    },
    flush,
  };
}
