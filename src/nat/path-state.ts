// The paths to one peer: its candidates, the pings in flight, the best endpoint, and when to
// probe next. Pure: `now` comes in, actions go out (path-manager.ts owns one per peer).
//
// Per peer:
//   1. candidates (path-candidates.ts) come from the netmap, the peer's callMeMaybe, and the
//      source addresses of its pings; every ping is answered with a pong to its source (a txid
//      once), and an untrusted source is pinged back at once.
//   2. a pong for an outstanding txid (sent by us, within PING_TIMEOUT_MS, answered once) makes
//      the pinged endpoint trusted for TRUST_AFTER_PONG_MS and measures its RTT.
//   3. best = the lowest RTT among trusted endpoints; a working best is replaced only by one
//      SWITCH_MIN_GAIN faster, or when its trust lapses.
//   4. while the peer is active (data sent within SESSION_ACTIVE_MS): a heartbeat ping to the
//      best every HEARTBEAT_INTERVAL_MS; every candidate re-probed every REPROBE_DIRECT_MS
//      (direct) or REPROBE_RELAYED_MS (not), with a callMeMaybe through a relay when not direct.
//   5. when the best's trust lapses with no other trusted endpoint, the peer is on a relay at
//      once and, if active, every candidate is probed again.

import type { Endpoint } from "../net/endpoint.js";
import type { RandomSource } from "../wireguard/random-source.js";
import { canonicalEndpoint, DISCO_TXID_BYTES, type DiscoMessage } from "./disco.js";
import type { DiscoKeyring } from "./disco-keyring.js";
import type { Path, PathAction, RelaySet } from "./path-actions.js";
import { CandidateSet, FROM_CALL_ME_MAYBE, FROM_NETMAP, type Candidate } from "./path-candidates.js";
import * as T from "./path-timing.js";

export type PathDropReason =
  | "replayedPing" // a ping txid already answered
  | "unexpectedPong" // no outstanding ping with that txid (never sent, answered, or timed out)
  | "relayedPingOrPong" // pings and pongs measure UDP paths: never accepted through a relay
  | "callMeMaybeTooSoon"; // more than one a second from a peer

// What a peer's state needs from the manager.
export interface PathContext {
  readonly keyring: DiscoKeyring;
  readonly random: RandomSource;
  relays(): RelaySet;
  callMeMaybeEndpoints(): readonly Endpoint[];
  drop(reason: PathDropReason): void;
  pingSent(): void;
}

interface Outstanding {
  readonly candidate: Candidate;
  readonly sentAt: number;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");

export class PeerPathState {
  readonly candidates = new CandidateSet();
  private readonly outstanding = new Map<string, Outstanding>(); // by txid, oldest first
  private readonly answered = new Set<string>(); // ping txids, oldest first
  private best: Candidate | null = null;
  lastDataSentAt: number | null = null;
  private lastFullProbeAt: number | null = null;
  private probeRequestedAt: number | null = null;
  private lastCallMeMaybeSentAt: number | null = null;
  private lastCallMeMaybeActedAt: number | null = null;
  // When the peer was last heard through each UDP relay (by relay key): bounded by the relays.
  private readonly heardViaRelay = new Map<string, number>();
  // For "why not direct" (path-reason.ts).
  probes = 0;
  probesSinceLastPong = 0;
  lastPongAt: number | null = null;
  lastPingReceivedAt: number | null = null;
  mappingVariesByDestination = false;
  // Whether deadline() left out a probe or heartbeat because the peer is idle: new activity
  // (onDataSent) can then make the deadline earlier.
  waitsForActivity = true;
  // The manager's bookkeeping: this peer's deadline as last computed, and the path last
  // reported in a pathChanged (an identity string).
  cachedDeadline: number | null = null;
  reportedPath: string | null = null;

  constructor(
    readonly peer: string,
    private readonly context: PathContext,
  ) {}

  private active(now: number): boolean {
    return this.lastDataSentAt !== null && now < this.lastDataSentAt + T.SESSION_ACTIVE_MS;
  }

  private trusted(candidate: Candidate, now: number): boolean {
    return candidate.lastPongAt !== null && now < candidate.lastPongAt + T.TRUST_AFTER_PONG_MS;
  }

  // The netmap's endpoints for this peer replace the previous ones; new ones of a peer that is
  // not direct are probed at once (they may be what makes it direct).
  setNetmapCandidates(now: number, endpoints: readonly Endpoint[]): void {
    const added = this.candidates.replaceSource(FROM_NETMAP, endpoints, T.MAX_NETMAP_CANDIDATES, (c) => c === this.best && this.trusted(c, now));
    if (this.best !== null && !this.candidates.holds(this.best)) this.selectBest(now);
    if (added && this.best === null) this.requestProbe(now);
  }

  // The peer's packet (disco or WireGuard) came through the UDP relay `relayKey`: the peer is
  // bound there, so the relay can carry our packets to it.
  heardViaUdpRelay(now: number, relayKey: string): void {
    this.heardViaRelay.set(relayKey, now);
  }

  // The confirmed direct endpoint, or null: path()'s common case without making a Path.
  directEndpoint(): Endpoint | null {
    return this.best?.endpoint ?? null;
  }

  path(relays: RelaySet, now: number): Path {
    if (this.best !== null) return { kind: "direct", endpoint: this.best.endpoint, rttMs: this.best.rttMs! };
    const udp = relays.udp.find((relay) => now - (this.heardViaRelay.get(relay.relayKey) ?? -Infinity) < T.UDP_RELAY_HEARD_TRUST_MS);
    if (udp !== undefined) return { kind: "udp-relay", relay: udp.relay, relayKey: udp.relayKey };
    if (relays.tcp) return { kind: "tcp-relay" };
    let likeliest: Candidate | null = null;
    for (const candidate of this.candidates.values()) {
      if (likeliest === null || (candidate.lastPongAt ?? -Infinity) > (likeliest.lastPongAt ?? -Infinity)) likeliest = candidate;
    }
    return likeliest === null ? { kind: "none" } : { kind: "unconfirmed", endpoint: likeliest.endpoint };
  }

  // Steps 4 and 5 of the flow, due at deadline().
  tick(now: number): PathAction[] {
    const actions: PathAction[] = [];
    if (this.best !== null && !this.trusted(this.best, now)) {
      this.selectBest(now);
      if (this.best === null) this.requestProbe(now);
    }
    if (!this.active(now) || !this.context.keyring.usable(this.peer)) return actions;
    if (now >= this.probeAt()) this.fullProbe(now, actions);
    if (this.best !== null && now >= this.best.lastPingAt! + T.HEARTBEAT_INTERVAL_MS) this.ping(now, this.best, actions);
    return actions;
  }

  // When tick() has something to do next, or null; also sets waitsForActivity. Probes and
  // heartbeats count only if due while the peer is still active: a tick after the activity
  // window does nothing for them, so they must not hold the deadline in the past.
  deadline(now: number): number | null {
    let at: number | null = null;
    this.waitsForActivity = false;
    const take = (time: number): void => void (at = at === null ? time : Math.min(at, time));
    const takeWhileActive = (time: number): void => {
      if (this.lastDataSentAt !== null && Math.max(time, now) < this.lastDataSentAt + T.SESSION_ACTIVE_MS) take(time);
      else this.waitsForActivity = true;
    };
    if (this.best !== null) {
      take(this.best.lastPongAt! + T.TRUST_AFTER_PONG_MS);
      takeWhileActive(this.best.lastPingAt! + T.HEARTBEAT_INTERVAL_MS);
    }
    if (this.context.keyring.usable(this.peer)) takeWhileActive(this.probeAt());
    return at;
  }

  // An opened disco message from this peer. Returns what to send and, for a pong that counted,
  // our own endpoint as the peer saw it.
  handleMessage(now: number, message: DiscoMessage, from: Endpoint | "relay"): { actions: PathAction[]; observed: Endpoint | null } {
    const actions: PathAction[] = [];
    if (message.type === "callMeMaybe") {
      this.handleCallMeMaybe(now, message.endpoints, actions);
      return { actions, observed: null };
    }
    const source = from === "relay" ? null : canonicalEndpoint(from);
    if (source === null) {
      this.context.drop("relayedPingOrPong");
      return { actions, observed: null };
    }
    if (message.type === "ping") {
      this.handlePing(now, message.txid, source, actions);
      return { actions, observed: null };
    }
    return { actions, observed: this.handlePong(now, message.txid) ? message.observed : null };
  }

  private handlePing(now: number, txid: Uint8Array, from: Endpoint, actions: PathAction[]): void {
    const id = hex(txid);
    if (this.answered.has(id)) {
      this.context.drop("replayedPing");
      return;
    }
    this.answered.add(id);
    if (this.answered.size > T.MAX_ANSWERED_TXIDS) this.answered.delete(this.answered.values().next().value!);
    this.lastPingReceivedAt = now;
    const candidate = this.candidates.addFromPing(from, this.best);
    this.send(actions, from, { type: "pong", txid, observed: from });
    // A ping back, as frequent at most as the peer's own pings (txids are unique):
    // - at once when the source is not trusted: its ping shows its NAT is open towards us now,
    //   so ours gets through where earlier ones may not have (hole punching);
    // - else once a heartbeat interval: a node that only receives (no onDataSent, so no
    //   heartbeats of its own) keeps its path in step with the sender's heartbeats instead of
    //   flapping to the relay each time its trust lapses.
    if (!this.trusted(candidate, now) || now >= candidate.lastPingAt! + T.HEARTBEAT_INTERVAL_MS) this.ping(now, candidate, actions);
  }

  // True when the pong counted. It may come from another address than the one pinged (a
  // multi-homed peer answers from its route's source): the sealed txid, which only the peer
  // could read, proves the ping reached the pinged endpoint, and that is where we send.
  private handlePong(now: number, txid: Uint8Array): boolean {
    const id = hex(txid);
    const sent = this.outstanding.get(id);
    this.outstanding.delete(id);
    if (sent === undefined || now - sent.sentAt > T.PING_TIMEOUT_MS) {
      this.context.drop("unexpectedPong");
      return false;
    }
    this.lastPongAt = now;
    this.probesSinceLastPong = 0;
    if (this.candidates.holds(sent.candidate)) {
      sent.candidate.lastPongAt = now;
      sent.candidate.rttMs = now - sent.sentAt;
      this.selectBest(now);
    }
    return true;
  }

  private handleCallMeMaybe(now: number, endpoints: readonly Endpoint[], actions: PathAction[]): void {
    if (this.lastCallMeMaybeActedAt !== null && now - this.lastCallMeMaybeActedAt < T.CALL_ME_MAYBE_ACT_INTERVAL_MS) {
      this.context.drop("callMeMaybeTooSoon");
      return;
    }
    this.lastCallMeMaybeActedAt = now;
    this.candidates.replaceSource(FROM_CALL_ME_MAYBE, endpoints, T.MAX_CALL_ME_MAYBE_CANDIDATES, (c) => c === this.best && this.trusted(c, now));
    if (this.best !== null && !this.candidates.holds(this.best)) this.selectBest(now);
    // The peer is pinging us now, so its NAT is open for us: ping every candidate at once.
    for (const candidate of this.candidates.values()) this.ping(now, candidate, actions);
  }

  private fullProbe(now: number, actions: PathAction[]): void {
    this.lastFullProbeAt = now;
    this.probeRequestedAt = null;
    this.probes++;
    this.probesSinceLastPong++;
    for (const candidate of this.candidates.values()) this.ping(now, candidate, actions);
    if (this.best !== null) return;
    if (this.lastCallMeMaybeSentAt !== null && now - this.lastCallMeMaybeSentAt < T.CALL_ME_MAYBE_INTERVAL_MS) return;
    // Through the TCP relay (it reaches every node) and through every bound UDP relay: one that
    // the peer is bound to delivers it, and the peer then knows that relay carries us both.
    const relays = this.context.relays();
    if (!relays.tcp && relays.udp.length === 0) return;
    const message = { type: "callMeMaybe", endpoints: this.context.callMeMaybeEndpoints() } as const;
    const seal = (): Uint8Array | null => this.context.keyring.seal(this.peer, message);
    if (relays.tcp) {
      const datagram = seal();
      if (datagram !== null) actions.push({ type: "sendViaTcpRelay", to: this.peer, datagram });
    }
    for (const udp of relays.udp) {
      const datagram = seal();
      if (datagram !== null) actions.push({ type: "sendViaUdpRelay", relay: udp.relay, to: this.peer, datagram });
    }
    this.lastCallMeMaybeSentAt = now;
  }

  private ping(now: number, candidate: Candidate, actions: PathAction[]): void {
    const txid = this.context.random.bytes(DISCO_TXID_BYTES);
    if (!this.send(actions, candidate.endpoint, { type: "ping", txid })) return;
    this.outstanding.set(hex(txid), { candidate, sentAt: now });
    if (this.outstanding.size > T.MAX_OUTSTANDING_PINGS) this.outstanding.delete(this.outstanding.keys().next().value!);
    candidate.lastPingAt = now;
    this.context.pingSent();
  }

  private send(actions: PathAction[], to: Endpoint, message: DiscoMessage): boolean {
    const datagram = this.context.keyring.seal(this.peer, message);
    if (datagram === null) return false;
    actions.push({ type: "sendUdp", to, datagram });
    return true;
  }

  private selectBest(now: number): void {
    let fastest: Candidate | null = null;
    for (const candidate of this.candidates.values()) {
      if (this.trusted(candidate, now) && (fastest === null || candidate.rttMs! < fastest.rttMs!)) fastest = candidate;
    }
    const current = this.best;
    if (current !== null && this.trusted(current, now) && this.candidates.holds(current)) {
      if (fastest !== null && fastest !== current && fastest.rttMs! <= current.rttMs! * (1 - T.SWITCH_MIN_GAIN)) this.best = fastest;
      return;
    }
    this.best = fastest;
  }

  private probeAt(): number {
    if (this.lastFullProbeAt === null) return this.probeRequestedAt ?? this.lastDataSentAt ?? 0;
    if (this.probeRequestedAt !== null) return Math.max(this.probeRequestedAt, this.lastFullProbeAt + T.PROBE_MIN_INTERVAL_MS);
    return this.lastFullProbeAt + (this.best !== null ? T.REPROBE_DIRECT_MS : T.REPROBE_RELAYED_MS);
  }

  private requestProbe(now: number): void {
    this.probeRequestedAt ??= now;
  }
}
