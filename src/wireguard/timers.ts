// Per-peer timers as data (whitepaper §6): deadlines in an object, polled by the device's tick.
// Event functions are named after the events that arm or stop timers, as the kernel and
// wireguard-go name them; `expiredTimers` tells the device which handlers to run.
//
//   event                        effect
//   onDataSent                   arm newHandshake (no reply within keepalive + rekey timeout)
//   onDataReceived               arm sendKeepalive (or remember that another one is needed)
//   onAuthenticatedPacketSent    stop sendKeepalive (what we sent acknowledges)
//   onAuthenticatedPacketReceived stop newHandshake (the peer is alive)
//   onAuthenticatedTraversal     re-arm persistentKeepalive
//   onHandshakeInitiated         arm retransmitHandshake (REKEY_TIMEOUT + jitter)
//   onHandshakeComplete          stop retransmitHandshake, reset attempts
//   onSessionDerived             arm zeroKeyMaterial (3 × REJECT_AFTER_TIME)

import {
  KEEPALIVE_TIMEOUT_MS,
  REKEY_TIMEOUT_JITTER_MAX_MS,
  REKEY_TIMEOUT_MS,
  ZERO_KEY_MATERIAL_AFTER_MS,
} from "./constants.js";

export const TIMER_NAMES = [
  "retransmitHandshake",
  "sendKeepalive",
  "newHandshake",
  "zeroKeyMaterial",
  "persistentKeepalive",
] as const;
export type TimerName = (typeof TIMER_NAMES)[number];

export interface PeerTimers {
  deadlines: Record<TimerName, number | null>;
  // Told every deadline armed, so whoever polls the timers can wake no later than the soonest
  // without scanning every peer's after each packet (the device keeps a lower bound).
  readonly onArm: (deadline: number) => void;
  handshakeAttempts: number;
  needAnotherKeepalive: boolean;
  sentLastMinuteHandshake: boolean;
  persistentKeepaliveMs: number;
}

export function createPeerTimers(persistentKeepaliveMs = 0, onArm: (deadline: number) => void = () => {}): PeerTimers {
  return {
    onArm,
    deadlines: {
      retransmitHandshake: null,
      sendKeepalive: null,
      newHandshake: null,
      zeroKeyMaterial: null,
      persistentKeepalive: null,
    },
    handshakeAttempts: 0,
    needAnotherKeepalive: false,
    sentLastMinuteHandshake: false,
    persistentKeepaliveMs,
  };
}

// Sets a deadline (never null: stopping a timer needs nobody told).
export function armTimer(t: PeerTimers, name: TimerName, deadline: number): void {
  t.deadlines[name] = deadline;
  t.onArm(deadline);
}

// `jitter` draws a uniform value from [0, REKEY_TIMEOUT_JITTER_MAX_MS) from the caller's random
// source (timers stay pure). It runs on every data packet sent, so the draw happens only when
// the timer is actually armed, not per packet.
export function onDataSent(t: PeerTimers, now: number, jitter: () => number): void {
  if (t.deadlines.newHandshake === null) {
    armTimer(t, "newHandshake", now + KEEPALIVE_TIMEOUT_MS + REKEY_TIMEOUT_MS + jitter());
  }
}

export function onDataReceived(t: PeerTimers, now: number): void {
  if (t.deadlines.sendKeepalive === null) armTimer(t, "sendKeepalive", now + KEEPALIVE_TIMEOUT_MS);
  else t.needAnotherKeepalive = true;
}

export function onAuthenticatedPacketSent(t: PeerTimers): void {
  t.deadlines.sendKeepalive = null;
}

export function onAuthenticatedPacketReceived(t: PeerTimers): void {
  t.deadlines.newHandshake = null;
}

export function onAuthenticatedTraversal(t: PeerTimers, now: number): void {
  if (t.persistentKeepaliveMs > 0) armTimer(t, "persistentKeepalive", now + t.persistentKeepaliveMs);
}

export function onHandshakeInitiated(t: PeerTimers, now: number, jitterMs: number): void {
  armTimer(t, "retransmitHandshake", now + REKEY_TIMEOUT_MS + jitterMs);
}

export function onHandshakeComplete(t: PeerTimers): void {
  t.deadlines.retransmitHandshake = null;
  t.handshakeAttempts = 0;
  t.sentLastMinuteHandshake = false;
}

export function onSessionDerived(t: PeerTimers, now: number): void {
  armTimer(t, "zeroKeyMaterial", now + ZERO_KEY_MATERIAL_AFTER_MS);
}

export function setPersistentKeepalive(t: PeerTimers, now: number, intervalMs: number): void {
  t.persistentKeepaliveMs = intervalMs;
  if (intervalMs > 0) armTimer(t, "persistentKeepalive", now + intervalMs);
  else t.deadlines.persistentKeepalive = null;
}

export function stopAllTimers(t: PeerTimers): void {
  for (const name of TIMER_NAMES) t.deadlines[name] = null;
}

export function nextTimerDeadline(t: PeerTimers): number | null {
  let next: number | null = null;
  for (const name of TIMER_NAMES) {
    const deadline = t.deadlines[name];
    if (deadline !== null && (next === null || deadline < next)) next = deadline;
  }
  return next;
}

// The timers due at `now`, in the order their handlers should run, each stopped (a handler
// re-arms it if it must).
export function expiredTimers(t: PeerTimers, now: number): TimerName[] {
  const expired: TimerName[] = [];
  for (const name of TIMER_NAMES) {
    const deadline = t.deadlines[name];
    if (deadline !== null && deadline <= now) {
      t.deadlines[name] = null;
      expired.push(name);
    }
  }
  return expired;
}

export function jitterFromRandomWord(word: number): number {
  return word % REKEY_TIMEOUT_JITTER_MAX_MS;
}
