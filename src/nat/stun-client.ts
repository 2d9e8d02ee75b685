// The STUN prober of a node, sans I/O: it asks a list of STUN servers what endpoint they see us
// at, from the node's WireGuard socket (the caller sends what it returns there and hands it the
// STUN datagrams src/nat/demux.ts classifies), and reports per server the mapped endpoint and
// the round trip, or a timeout. Time is `now` (monotonic ms), randomness an argument.
//
// 1. A round starts (`start`, or `handleTick` when the next round is due): one Binding
//    request per server, each with a fresh random 96-bit transaction id.
// 2. Servers that have not answered get a new request every RETRANSMIT_INTERVAL_MS, up to
//    ATTEMPTS requests in all (RFC 8489 §6.2.1 retransmits, bounded: a mapping probe repeats
//    every 20–26 s anyway, and a server that misses three requests is as good as down).
//    Every attempt is its own transaction: an answer tells which request it answers, so its
//    round trip is exact (no retransmission ambiguity, Karn's problem); all of a round's
//    transactions stay valid until the round ends.
// 3. A response counts when it is a Binding success for a transaction of this round and
//    carries a mapped address: matched by transaction id alone (96 random bits are what an
//    off-path sender cannot guess; a server bound to a wildcard address may answer from
//    another of its addresses). Anything else is ignored and counted by reason.
// 4. The round ends when every server answered or PROBE_TIMEOUT_MS after its start; `result()`
//    then holds it. With `repeat` (the default) the prober schedules the next round itself,
//    REPROBE_MIN_MS plus up to REPROBE_JITTER_MS later (jitter so nodes that started together
//    do not probe together): the schedule is data, read through `nextDeadline()`, like the
//    WireGuard core's timers, so the packet loop arms one timer for everything. `start` again
//    (new servers, a network change) begins a new round at once; `stop` ends probing.

import type { Endpoint } from "../net/endpoint.js";
import { formatIpAddress, parseIpAddress } from "../net/ip-prefix.js";
import { randomUint32, type RandomSource } from "../wireguard/random-source.js";
import { decodeStunMessage, encodeBindingRequest, STUN_BINDING_SUCCESS, STUN_TRANSACTION_ID_BYTES } from "./stun.js";

export const STUN_RETRANSMIT_INTERVAL_MS = 500;
export const STUN_ATTEMPTS = 3;
export const STUN_PROBE_TIMEOUT_MS = 3000;
export const STUN_REPROBE_MIN_MS = 20_000;
export const STUN_REPROBE_JITTER_MS = 6000;
// More servers than this is a configuration mistake, and bounds the transactions in flight.
export const STUN_MAX_SERVERS = 16;

// A datagram to send from the node's UDP socket. `bytes` is the caller's to keep.
export interface StunDatagram {
  readonly bytes: Uint8Array;
  readonly to: Endpoint;
}

export type StunServerResult =
  | { readonly server: Endpoint; readonly state: "mapped"; readonly mapped: Endpoint; readonly rttMs: number }
  | { readonly server: Endpoint; readonly state: "timeout" };

export interface StunProbeResult {
  readonly round: number; // 1, 2, …: which completed round this is
  readonly startedAt: number;
  readonly completedAt: number;
  readonly servers: readonly StunServerResult[]; // in the order start() was given them
}

export interface StunProberCounters {
  requestsSent: number;
  responses: number; // accepted: a mapped endpoint learned
  ignoredMalformed: number; // not a well-formed STUN message
  ignoredNotSuccess: number; // STUN, but not a Binding success (a request, an error, …)
  ignoredUnknownTransaction: number; // not a transaction of this round: late, duplicate, forged
  ignoredNoAddress: number; // our transaction, but no usable mapped address in it
}

export interface StunProberOptions {
  readonly random: RandomSource;
  // A new round REPROBE_MIN_MS + jitter after each one (default); false: one round per start().
  readonly repeat?: boolean;
  readonly attempts?: number;
  readonly retransmitIntervalMs?: number;
  readonly timeoutMs?: number;
  // SOFTWARE in requests (RFC 8489 §14.14); none by default.
  readonly software?: string;
}

export interface StunProber {
  // Starts a round now with `servers` (IP literal endpoints: resolving names is the caller's
  // I/O), abandoning a round in progress; the requests to send. Throws on a name or on more
  // than STUN_MAX_SERVERS servers.
  start(now: number, servers: readonly Endpoint[]): StunDatagram[];
  // A STUN datagram from the socket (`bytes` is read, not kept): true when it answered one of
  // this round's transactions, false when ignored (counted).
  handleResponse(now: number, bytes: Uint8Array, from: Endpoint): boolean;
  // Retransmits, timeouts and the next round when due; the requests to send.
  handleTick(now: number): StunDatagram[];
  // When handleTick has work next, or null (stopped, or one-shot and done).
  nextDeadline(): number | null;
  // The last completed round, or null before the first one ends.
  result(): StunProbeResult | null;
  // A round is in progress.
  probing(): boolean;
  stop(): void;
  readonly counters: Readonly<StunProberCounters>;
}

interface Transaction {
  readonly id: Uint8Array;
  readonly server: number;
  readonly sentAt: number;
}

interface Round {
  readonly startedAt: number;
  attemptsSent: number;
  nextSendAt: number;
  readonly answers: (StunServerResult | null)[];
  transactions: Transaction[];
}

export function createStunProber(options: StunProberOptions): StunProber {
  const attempts = options.attempts ?? STUN_ATTEMPTS;
  const intervalMs = options.retransmitIntervalMs ?? STUN_RETRANSMIT_INTERVAL_MS;
  const timeoutMs = options.timeoutMs ?? STUN_PROBE_TIMEOUT_MS;
  const repeat = options.repeat ?? true;
  if (!(attempts >= 1) || !(intervalMs > 0) || !(timeoutMs > (attempts - 1) * intervalMs)) {
    throw new RangeError(`STUN prober: need attempts ≥ 1 and a timeout (${timeoutMs} ms) after the last attempt (${(attempts - 1) * intervalMs} ms)`);
  }
  const encodeOptions = options.software !== undefined ? { software: options.software } : {};
  const counters: StunProberCounters = { requestsSent: 0, responses: 0, ignoredMalformed: 0, ignoredNotSuccess: 0, ignoredUnknownTransaction: 0, ignoredNoAddress: 0 };
  let servers: Endpoint[] = [];
  let round: Round | null = null;
  let nextRoundAt: number | null = null;
  let completed = 0;
  let last: StunProbeResult | null = null;

  // One request to every server that has not answered yet.
  const sendAttempt = (now: number, current: Round): StunDatagram[] => {
    const datagrams: StunDatagram[] = [];
    for (const [index, server] of servers.entries()) {
      if (current.answers[index] !== null) continue;
      const id = options.random.bytes(STUN_TRANSACTION_ID_BYTES);
      current.transactions.push({ id, server: index, sentAt: now });
      datagrams.push({ bytes: encodeBindingRequest(id, encodeOptions), to: server });
    }
    counters.requestsSent += datagrams.length;
    current.attemptsSent++;
    // A late tick sends one attempt, not a burst to catch up.
    current.nextSendAt = now + intervalMs;
    return datagrams;
  };

  const finish = (now: number, current: Round): void => {
    completed++;
    last = {
      round: completed,
      startedAt: current.startedAt,
      completedAt: now,
      servers: servers.map((server, index) => current.answers[index] ?? { server, state: "timeout" }),
    };
    round = null;
    nextRoundAt = repeat ? now + STUN_REPROBE_MIN_MS + (randomUint32(options.random) % (STUN_REPROBE_JITTER_MS + 1)) : null;
  };

  const begin = (now: number): StunDatagram[] => {
    const current: Round = { startedAt: now, attemptsSent: 0, nextSendAt: now, answers: servers.map(() => null), transactions: [] };
    round = current;
    nextRoundAt = null;
    if (servers.length === 0) {
      finish(now, current);
      return [];
    }
    return sendAttempt(now, current);
  };

  return {
    counters,
    start(now, list) {
      if (list.length > STUN_MAX_SERVERS) throw new RangeError(`at most ${STUN_MAX_SERVERS} STUN servers, got ${list.length}`);
      servers = list.map((server) => {
        const address = parseIpAddress(server.host);
        if (address === null) throw new RangeError(`STUN server "${server.host}" is not an IP address (resolve names before probing)`);
        return { host: formatIpAddress(address), port: server.port };
      });
      return begin(now);
    },

    handleResponse(now, bytes) {
      const message = decodeStunMessage(bytes);
      if (message === null) {
        counters.ignoredMalformed++;
        return false;
      }
      if (message.type !== STUN_BINDING_SUCCESS) {
        counters.ignoredNotSuccess++;
        return false;
      }
      const current = round;
      const transaction = current?.transactions.find((candidate) => sameBytes(candidate.id, message.transactionId));
      if (current === null || transaction === undefined) {
        counters.ignoredUnknownTransaction++;
        return false;
      }
      if (message.mapped === null) {
        counters.ignoredNoAddress++;
        return false;
      }
      counters.responses++;
      current.answers[transaction.server] = { server: servers[transaction.server]!, state: "mapped", mapped: message.mapped, rttMs: Math.max(0, now - transaction.sentAt) };
      // The server's other transactions end with its answer: a second answer is a duplicate.
      current.transactions = current.transactions.filter((candidate) => candidate.server !== transaction.server);
      if (current.answers.every((answer) => answer !== null)) finish(now, current);
      return true;
    },

    handleTick(now) {
      const current = round;
      if (current !== null) {
        if (now >= current.startedAt + timeoutMs) {
          finish(now, current);
          return [];
        }
        return current.attemptsSent < attempts && now >= current.nextSendAt ? sendAttempt(now, current) : [];
      }
      return nextRoundAt !== null && now >= nextRoundAt ? begin(now) : [];
    },

    nextDeadline() {
      if (round === null) return nextRoundAt;
      const deadline = round.startedAt + timeoutMs;
      return round.attemptsSent < attempts ? Math.min(round.nextSendAt, deadline) : deadline;
    },

    result: () => last,
    probing: () => round !== null,

    stop() {
      round = null;
      nextRoundAt = null;
    },
  };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
