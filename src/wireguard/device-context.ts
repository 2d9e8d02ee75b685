// The state one Device shares between its parts (device.ts: API, config and timers;
// device-handshake.ts; device-transport.ts), and the small operations they all need: local
// indices, keypair slots, drop counting, queuing output actions.

import type { AllowedIps } from "../dataplane/allowed-ips.js";
import type { CryptoCore } from "../dataplane/crypto-core.js";
import type { Transport } from "../dataplane/transport.js";
import type { CookieChecker } from "./cookie.js";
import type { Endpoint } from "../net/endpoint.js";
import type { HandshakeSource } from "./device-handshake.js";
import type { HandshakeBudget } from "./handshake-budget.js";
import type { HandshakeQueue } from "./handshake-queue.js";
import type { HandshakeRateLimiter } from "./handshake-rate-limiter.js";
import type { LoadMeter } from "./load-meter.js";
import { forgetEphemeral, type LocalIdentity, type NoiseDeps } from "./noise.js";
import { countDrop, type Keypair, type Peer } from "./peer.js";
import { randomUint32, type RandomSource } from "./random-source.js";
import type { SlotPool } from "./slot-pool.js";
import type { X25519 } from "./x25519.js";

export interface DeviceDeps {
  readonly crypto: CryptoCore;
  readonly transport: Transport;
  readonly allowedIps: AllowedIps;
  readonly x25519: X25519;
  readonly random: RandomSource;
  // Read only to stamp handshake initiations (TAI64N) and to report handshake times; all
  // protocol timing uses the `now` passed to each call (monotonic milliseconds).
  readonly wallClock: () => number;
}

export type DeviceAction =
  // Send `datagram` to `to`. The bytes may be a view into the WASM arena: use (or copy) them
  // before the next call into the device.
  | { readonly type: "send"; readonly to: Endpoint; readonly datagram: Uint8Array }
  // Write `packet` to the TUN device (same lifetime rule).
  | { readonly type: "tun"; readonly packet: Uint8Array };

// Packets that stay where the WASM core left them: entry i is lengths[i] bytes at offsets[i] of
// the WASM memory (DeviceBatchLayout.buffer), valid until the next call into the device.
export interface SlotList {
  count: number;
  readonly offsets: Uint32Array;
  readonly lengths: Uint32Array;
}

// What one batch call asks of the I/O edge. A batch's own packets are listed by place, so a
// packet costs no object on the way through; whatever the device made elsewhere (handshake
// messages, packets copied out of a batch it ran itself) comes as actions.
export interface DeviceOutput {
  actions: DeviceAction[];
  // Datagrams to send, sends.to[i] the destination of entry i.
  readonly sends: SlotList & { readonly to: Endpoint[] };
  // Packets to write to the TUN.
  readonly tunWrites: SlotList;
}

export function createDeviceOutput(capacity: number): DeviceOutput {
  const slots = (): SlotList => ({ count: 0, offsets: new Uint32Array(capacity), lengths: new Uint32Array(capacity) });
  return { actions: [], sends: { ...slots(), to: new Array<Endpoint>(capacity) }, tunWrites: slots() };
}

// Empties `output` for the next call; its actions array is a new one, the caller may keep the old.
export function resetDeviceOutput(output: DeviceOutput): void {
  output.actions = [];
  output.sends.count = 0;
  output.tunWrites.count = 0;
}

function pushSlot(list: SlotList, offset: number, length: number): number {
  const index = list.count++;
  list.offsets[index] = offset;
  list.lengths[index] = length;
  return index;
}

// What a local receiver index names: a handshake we initiated, or a keypair.
export interface IndexEntry {
  readonly peer: Peer;
  readonly kind: "handshake" | "keypair";
}

export interface DeviceContext {
  readonly deps: DeviceDeps;
  readonly noise: NoiseDeps;
  local: LocalIdentity | null;
  cookieChecker: CookieChecker | null;
  readonly peersById: Map<string, Peer>;
  readonly peersByNumber: (Peer | undefined)[];
  readonly indices: Map<number, IndexEntry>;
  readonly keypairSlots: SlotPool;
  readonly peerNumbers: SlotPool;
  readonly handshakeQueue: HandshakeQueue;
  readonly handshakeSources: WeakMap<Endpoint, HandshakeSource>;
  readonly handshakeBudget: HandshakeBudget;
  readonly rateLimiter: HandshakeRateLimiter;
  readonly load: LoadMeter;
  readonly drops: Map<string, number>;
  // The cookie mechanism at work, seen from both sides (not drops: nothing was lost).
  readonly cookieStats: { repliesSent: number; repliesConsumed: number; validMac2: number };
  // What the call being served asks of the I/O edge (reset at every call).
  readonly output: DeviceOutput;
  // Where the transport arena starts in the WASM memory (SlotList offsets are from there).
  readonly arenaOffset: number;
  // No later than the soonest timer or keypair expiry of any peer (Infinity: none): every
  // deadline set lowers it, and handleTick, which visits every peer anyway, makes it exact.
  // Too early only costs a tick that finds nothing due.
  deadlineBound: number;
  // Made once with the context, so the per-batch paths hand them on without a closure a call:
  // gives a dropped keypair's slot and index back (releaseKeypair), and draws a timer jitter.
  readonly release: (keypair: Keypair) => void;
  readonly drawJitter: () => number;
}

// A deadline now exists at `at` (a timer armed, a keypair that expires).
export function noteDeadline(ctx: DeviceContext, at: number): void {
  if (at < ctx.deadlineBound) ctx.deadlineBound = at;
}

export function drop(ctx: DeviceContext, peer: Peer | null, reason: string): void {
  countDrop(peer, ctx.drops, reason);
}

export function send(ctx: DeviceContext, peer: Peer, datagram: Uint8Array): void {
  if (peer.endpoint === null) {
    drop(ctx, peer, "noEndpoint");
    return;
  }
  peer.stats.txBytes += datagram.length;
  ctx.output.actions.push({ type: "send", to: peer.endpoint, datagram });
}

// Sends `length` bytes left at `offset` of the transport arena, where they stay.
export function sendInPlace(ctx: DeviceContext, peer: Peer, offset: number, length: number): void {
  if (peer.endpoint === null) {
    drop(ctx, peer, "noEndpoint");
    return;
  }
  peer.stats.txBytes += length;
  const sends = ctx.output.sends;
  sends.to[pushSlot(sends, ctx.arenaOffset + offset, length)] = peer.endpoint;
}

// Writes `length` bytes left at `offset` of the transport arena to the TUN, from there.
export function writeInPlace(ctx: DeviceContext, offset: number, length: number): void {
  pushSlot(ctx.output.tunWrites, ctx.arenaOffset + offset, length);
}

// A fresh random local index, unique among handshakes and keypairs (whitepaper §5.4.2: I_i is
// random, so an index reveals nothing and collides with nothing).
export function allocateIndex(ctx: DeviceContext, peer: Peer, kind: IndexEntry["kind"]): number {
  for (;;) {
    const index = randomUint32(ctx.deps.random);
    if (!ctx.indices.has(index)) {
      ctx.indices.set(index, { peer, kind });
      return index;
    }
  }
}

// Gives a dropped keypair's slot and index back.
export function releaseKeypair(ctx: DeviceContext, keypair: Keypair): void {
  ctx.indices.delete(keypair.localIndex);
  ctx.keypairSlots.give(keypair.slot);
}

// Forgets the handshake we initiated and not yet completed: its index and ephemeral key.
export function discardPending(ctx: DeviceContext, peer: Peer): void {
  if (peer.pending === null) return;
  ctx.indices.delete(peer.pending.localIndex);
  forgetEphemeral(ctx.noise, peer.pending.ephemeralPrivate);
  peer.pending = null;
}
