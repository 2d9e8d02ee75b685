// Numbers and times as a person reads them on the page. `now` is always an argument (the app's
// clock), so a test sees the same text every run.

const BYTE_UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** "42 s", "5 min", "3 h", "2 d". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

/** "12 s ago", "never". */
export function formatAge(since: number | null, now: number): string {
  return since === null ? "never" : `${formatDuration((now - since) / 1000)} ago`;
}

/** "in 3 d", "expired 2 h ago", "never". */
export function formatExpiry(at: number | null, now: number): string {
  if (at === null) return "never";
  return at > now ? `in ${formatDuration((at - now) / 1000)}` : `expired ${formatDuration((now - at) / 1000)} ago`;
}

export function isoTime(at: number): string {
  return new Date(at).toISOString();
}
