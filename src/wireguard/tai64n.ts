// TAI64N timestamps (whitepaper §5, §5.4.2): the initiator encrypts one into every handshake
// initiation, and a responder drops an initiation whose timestamp is not greater than the last
// one it accepted from that peer, which defeats replay of the 1-RTT handshake's first message.
//
// Layout, 12 bytes, both fields big-endian (cr.yp.to/libtai/tai64.html):
//   [0..8)   seconds: the TAI64 label 2^62 + 10 + Unix seconds (10 = TAI−UTC at 1970, as
//            wireguard-go and the kernel apply it, ignoring later leap seconds)
//   [8..12)  nanoseconds within that second, whitened (below)
//
// Pure: the wall clock is an argument. Buffer ownership: tai64n returns a fresh array;
// compareTai64n only reads its arguments.

export const TAI64N_BYTES = 12;

const TAI64_UNIX_EPOCH_LABEL = 0x400000000000000an;

// Whitening: the nanoseconds are rounded down to a multiple of 2^24 ns (≈16.8 ms), as
// wireguard-go (tai64n.go, `&^ whitenerMask`) and the kernel (the largest power of two below
// 1 s / INITIATIONS_PER_SECOND = 20 ms) do, so an initiation does not reveal the sender's precise
// clock, while timestamps still advance faster than the kernel accepts initiations (50/s).
const WHITENED_NANOSECONDS_MASK = ~(2 ** 24 - 1);

// The range of a JavaScript Date (ECMA-262 §21.4.1.1): wall clocks outside it are a bug.
const WALL_CLOCK_LIMIT_MS = 8.64e15;

export function tai64n(wallClockMs: number): Uint8Array {
  if (!Number.isFinite(wallClockMs) || Math.abs(wallClockMs) > WALL_CLOCK_LIMIT_MS) {
    throw new RangeError(`tai64n wallClockMs must be a finite time within ±${WALL_CLOCK_LIMIT_MS} ms, got ${wallClockMs}`);
  }
  // Floor, not truncation, so times before 1970 keep nanoseconds in [0, 1e9) like Go's time.Unix.
  const seconds = Math.floor(wallClockMs / 1000);
  const nanoseconds = Math.floor((wallClockMs - seconds * 1000) * 1e6);
  const timestamp = new Uint8Array(TAI64N_BYTES);
  const view = new DataView(timestamp.buffer);
  view.setBigUint64(0, TAI64_UNIX_EPOCH_LABEL + BigInt(seconds));
  view.setUint32(8, nanoseconds & WHITENED_NANOSECONDS_MASK);
  return timestamp;
}

// −1, 0 or 1 as `a` is earlier than, equal to or later than `b`: big-endian fields make the
// byte-wise order the time order.
export function compareTai64n(a: Uint8Array, b: Uint8Array): number {
  requireTimestampBytes("a", a);
  requireTimestampBytes("b", b);
  for (let i = 0; i < TAI64N_BYTES; i++) {
    const difference = a[i]! - b[i]!;
    if (difference !== 0) return difference < 0 ? -1 : 1;
  }
  return 0;
}

function requireTimestampBytes(argument: string, bytes: Uint8Array): void {
  if (bytes.length !== TAI64N_BYTES) {
    throw new RangeError(`compareTai64n ${argument} must be ${TAI64N_BYTES} bytes, got ${bytes.length}`);
  }
}
