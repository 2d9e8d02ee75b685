// Level-triggered readiness, as libuv's uv_poll gives it to src/io (native/watch.c): while a
// source is ready and a callback is registered, the callback runs again and again, each time
// on a later turn of the event loop (setImmediate) and never inside the call that made the
// source ready. Wakes are ordered first come, first served, so runs are deterministic.

export interface Readiness {
  // Replaces the callback (Tun.onReadable / UdpSocket.onReadable).
  watch(callback: () => void): void;
  unwatch(): void;
  // The source may have become ready: schedule a wake unless one is pending.
  poke(): void;
}

export function createReadiness(isReady: () => boolean): Readiness {
  let callback: (() => void) | null = null;
  let pending = false;
  const poke = (): void => {
    if (pending || callback === null || !isReady()) return;
    pending = true;
    setImmediate(wake);
  };
  const wake = (): void => {
    pending = false;
    if (callback === null || !isReady()) return;
    callback();
    poke();
  };
  return {
    watch(next) {
      callback = next;
      poke();
    },
    unwatch() {
      callback = null;
    },
    poke,
  };
}
