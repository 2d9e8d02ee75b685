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

// A stopped timer's deadline. A number, not null, so every deadline field holds only numbers and
// V8 keeps it a double field, written in place: with null in the mix each arm stores a freshly
// boxed number, which under load ends up as garbage in the old generation (bench:memory).
export const NOT_ARMED = Infinity;

export interface PeerTimers {
  deadlines: Record<TimerName, number>; // NOT_ARMED when stopped
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
      retransmitHandshake: NOT_ARMED,
      sendKeepalive: NOT_ARMED,
      newHandshake: NOT_ARMED,
      zeroKeyMaterial: NOT_ARMED,
      persistentKeepalive: NOT_ARMED,
    },
    handshakeAttempts: 0,
    needAnotherKeepalive: false,
    sentLastMinuteHandshake: false,
    persistentKeepaliveMs,
  };
}

// Sets a deadline (stopping one, to NOT_ARMED, needs nobody told).
export function armTimer(t: PeerTimers, name: TimerName, deadline: number): void {
  t.deadlines[name] = deadline;
  t.onArm(deadline);
}

// `jitter` draws a uniform value from [0, REKEY_TIMEOUT_JITTER_MAX_MS) from the caller's random
// source (timers stay pure). It runs on every data packet sent, so the draw happens only when
// the timer is actually armed, not per packet.
export function onDataSent(t: PeerTimers, now: number, jitter: () => number): void {
  if (t.deadlines.newHandshake === NOT_ARMED) {
    armTimer(t, "newHandshake", now + KEEPALIVE_TIMEOUT_MS + REKEY_TIMEOUT_MS + jitter());
  }
}

export function onDataReceived(t: PeerTimers, now: number): void {
  if (t.deadlines.sendKeepalive === NOT_ARMED) armTimer(t, "sendKeepalive", now + KEEPALIVE_TIMEOUT_MS);
  else t.needAnotherKeepalive = true;
}

export function onAuthenticatedPacketSent(t: PeerTimers): void {
  t.deadlines.sendKeepalive = NOT_ARMED;
}

export function onAuthenticatedPacketReceived(t: PeerTimers): void {
  t.deadlines.newHandshake = NOT_ARMED;
}

export function onAuthenticatedTraversal(t: PeerTimers, now: number): void {
  if (t.persistentKeepaliveMs > 0) armTimer(t, "persistentKeepalive", now + t.persistentKeepaliveMs);
}

export function onHandshakeInitiated(t: PeerTimers, now: number, jitterMs: number): void {
  armTimer(t, "retransmitHandshake", now + REKEY_TIMEOUT_MS + jitterMs);
}

export function onHandshakeComplete(t: PeerTimers): void {
  t.deadlines.retransmitHandshake = NOT_ARMED;
  t.handshakeAttempts = 0;
  t.sentLastMinuteHandshake = false;
}

export function onSessionDerived(t: PeerTimers, now: number): void {
  armTimer(t, "zeroKeyMaterial", now + ZERO_KEY_MATERIAL_AFTER_MS);
}

export function setPersistentKeepalive(t: PeerTimers, now: number, intervalMs: number): void {
  t.persistentKeepaliveMs = intervalMs;
  if (intervalMs > 0) armTimer(t, "persistentKeepalive", now + intervalMs);
  else t.deadlines.persistentKeepalive = NOT_ARMED;
}

export function stopAllTimers(t: PeerTimers): void {
  for (const name of TIMER_NAMES) t.deadlines[name] = NOT_ARMED;
}

export function nextTimerDeadline(t: PeerTimers): number | null {
  let next = NOT_ARMED;
  for (const name of TIMER_NAMES) next = Math.min(next, t.deadlines[name]);
  return next === NOT_ARMED ? null : next;
}

// The timers due at `now`, in the order their handlers should run, each stopped (a handler
// re-arms it if it must).
export function expiredTimers(t: PeerTimers, now: number): TimerName[] {
  const expired: TimerName[] = [];
  for (const name of TIMER_NAMES) {
    const deadline = t.deadlines[name];
    if (deadline <= now) {
      t.deadlines[name] = NOT_ARMED;
      expired.push(name);
    }
  }
  return expired;
}

export function jitterFromRandomWord(word: number): number {
  return word % REKEY_TIMEOUT_JITTER_MAX_MS;
}
