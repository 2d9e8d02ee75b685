// A monotonic clock that moves only when a test says so, with one-shot timers in the shape
// the packet loop takes (`schedule(delayMs, run) → cancel`, like src/io/clock.ts). Timers run
// in due order (ties: first armed first), each with now() reading its due time.

export interface FakeClock {
  now(): number;
  schedule(delayMs: number, run: () => void): () => void;
  // When the earliest armed timer is due, or null.
  nextDue(): number | null;
  // Moves to `time` (not backwards), running every timer due by then at its due time,
  // including timers those timers arm.
  runUntil(time: number): void;
}

interface Timer {
  readonly at: number;
  readonly sequence: number;
  readonly run: () => void;
}

export function createFakeClock(start = 0): FakeClock {
  let now = start;
  let sequence = 0;
  const timers = new Set<Timer>();
  const earliest = (): Timer | null => {
    let first: Timer | null = null;
    for (const timer of timers) if (first === null || timer.at < first.at || (timer.at === first.at && timer.sequence < first.sequence)) first = timer;
    return first;
  };
  return {
    now: () => now,
    schedule(delayMs, run) {
      const timer = { at: now + Math.max(0, delayMs), sequence: sequence++, run };
      timers.add(timer);
      return () => void timers.delete(timer);
    },
    nextDue: () => earliest()?.at ?? null,
    runUntil(time) {
      for (let timer = earliest(); timer !== null && timer.at <= time; timer = earliest()) {
        timers.delete(timer);
        now = Math.max(now, timer.at);
        timer.run();
      }
      now = Math.max(now, time);
    },
  };
}
