// Failed password and setup-code attempts, per source address: MAX_FAILURES within
// FAILURE_WINDOW_MS, then the source waits until its oldest failure leaves the window (429 with
// Retry-After). A success clears the source. At most MAX_TRACKED_SOURCES are remembered; the
// one whose last failure is oldest is forgotten first, so memory stays bounded whoever knocks.
//
// Five guesses per quarter hour is ~480 a day: nothing against a password the setup page
// accepted or a setup code, and enough for a person who mistypes.

export const MAX_FAILURES = 5;
export const FAILURE_WINDOW_MS = 15 * 60_000;
export const MAX_TRACKED_SOURCES = 1024;

export interface LoginLimiter {
  /** How long `source` must wait before it may try again (0: it may try now). */
  blockedForMs(source: string, now: number): number;
  recordFailure(source: string, now: number): void;
  recordSuccess(source: string): void;
}

export function createLoginLimiter(): LoginLimiter {
  // Source → failure times, oldest first; Map order is least recently failed first.
  const failures = new Map<string, number[]>();

  const recent = (source: string, now: number): number[] => (failures.get(source) ?? []).filter((at) => now - at < FAILURE_WINDOW_MS);

  return {
    blockedForMs(source, now) {
      const times = recent(source, now);
      return times.length < MAX_FAILURES ? 0 : times[times.length - MAX_FAILURES]! + FAILURE_WINDOW_MS - now;
    },

    recordFailure(source, now) {
      const times = [...recent(source, now), now].slice(-MAX_FAILURES);
      failures.delete(source);
      if (failures.size >= MAX_TRACKED_SOURCES) failures.delete(failures.keys().next().value!);
      failures.set(source, times);
    },

    recordSuccess(source) {
      failures.delete(source);
    },
  };
}
