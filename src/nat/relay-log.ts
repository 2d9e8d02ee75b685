// Refusals and bad input logged at a bounded rate: a flood must not become a flood of log lines
// (or of writes to an SD card). The first event of each interval is logged as it happens, with
// its detail; later ones are counted by reason, and one summary line per interval reports them
// — at most two lines per interval whatever the traffic. Details name sources and the first
// characters of public keys, never secrets. Time is an argument; `flush` runs on the relay's
// tick so a summary comes out when the traffic stops.

export const RELAY_LOG_INTERVAL_MS = 10_000;

export interface RelayLog {
  note(now: number, reason: string, detail: string): void;
  flush(now: number): void;
}

export function createRelayLog(prefix: string, log: (line: string) => void, intervalMs = RELAY_LOG_INTERVAL_MS): RelayLog {
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
      log(`${prefix}: ${total} more in the last ${Math.round((now - windowStart) / 1000)} s (${parts.join(", ")})`);
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
        log(`${prefix}: ${reason}: ${detail}`);
        return;
      }
      suppressed.set(reason, (suppressed.get(reason) ?? 0) + 1);
    },
    flush,
  };
}

// The first characters of a key's base64, enough to tell nodes apart in a log line.
export const keyHint = (keyText: string): string => `${keyText.slice(0, 8)}…`;
