// The clocks the layers above receive as arguments (they never read one themselves).
// monotonicMs: protocol timers, session ages, deadlines; never jumps with NTP or the RTC.
// wallClockMs: only what is shown to people or stamped into messages (TAI64N, expiries).

export const monotonicMs = (): number => performance.now();
export const wallClockMs = (): number => Date.now();

// Runs `run` once after `delayMs`; the returned function cancels it.
export function schedule(delayMs: number, run: () => void): () => void {
  const timer = setTimeout(run, delayMs);
  return () => clearTimeout(timer);
}
