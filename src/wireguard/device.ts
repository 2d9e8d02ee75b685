// A WireGuard device without I/O (the boringtun model, with `now` passed in and a list of
// actions returned): it holds the static identity and the peers, takes events — a datagram
// arrived, a packet came from the TUN, a tick — and returns what to send and what to write
// (for a batch already in the arena, a DeviceOutput that lists its packets where they lie).
// The caller calls handleTick at nextDeadline(). Transport crypto runs in the WASM core.

import { KEYPAIR_SLOT_COUNT, MAX_PEERS } from "../dataplane/core-constants.js";
import { REJECT_AFTER_TIME_MS, KEEPALIVE_TIMEOUT_MS, MAX_TIMER_HANDSHAKES, ZERO_KEY_MATERIAL_AFTER_MS } from "./constants.js";
import { createCookieChecker } from "./cookie.js";
import {
  createDeviceOutput,
  discardPending,
  drop,
  noteDeadline,
  releaseKeypair,
  resetDeviceOutput,
  type DeviceAction,
  type DeviceContext,
  type DeviceDeps,
  type DeviceOutput,
} from "./device-context.js";
import { processHandshakeQueue, receiveHandshakeMessage } from "./device-handshake.js";
import { sendInitiation } from "./device-initiation.js";
import { decryptSlots, describeDatagram, describeInput, encryptSlots, inputSlots, sendKeepalive } from "./device-transport.js";
import { Drop } from "./drop-reasons.js";
import type { Endpoint } from "../net/endpoint.js";
import { createHandshakeBudget } from "./handshake-budget.js";
import { createHandshakeQueue } from "./handshake-queue.js";
import { createHandshakeRateLimiter } from "./handshake-rate-limiter.js";
import { parseIpAddress, type IpPrefix } from "../net/ip-prefix.js";
import { encodeKey } from "./key-base64.js";
import { createLoadMeter, DEFAULT_HANDSHAKES_PER_SECOND_UNDER_LOAD } from "./load-meter.js";
import { WIREGUARD_HANDSHAKE, ZERO_KEY, type RemoteIdentity } from "./noise.js";
import { clearSessions, createPeer, expireKeypairs, nextKeypairExpiry, type Peer } from "./peer.js";
import { randomUint32 } from "./random-source.js";
import { createSlotPool } from "./slot-pool.js";
import { armTimer, expiredTimers, jitterFromRandomWord, nextTimerDeadline, NOT_ARMED, setPersistentKeepalive, stopAllTimers, type TimerName } from "./timers.js";

export type { DeviceAction, DeviceDeps, DeviceOutput, SlotList } from "./device-context.js";

export const DEFAULT_MTU = 1420;

export interface DeviceOptions {
  readonly privateKey?: Uint8Array | null;
  readonly mtu?: number;
  // Handshake messages per second above which mac2 (cookies) and per-source limits apply.
  readonly handshakesPerSecondUnderLoad?: number;
}

export interface PeerSettings {
  readonly publicKey: Uint8Array;
  readonly presharedKey?: Uint8Array | null;
  // An IP literal: names are resolved by the caller before they get here.
  readonly endpoint?: Endpoint | null;
  readonly persistentKeepaliveSeconds?: number;
  readonly allowedIps?: readonly IpPrefix[];
  // true: allowedIps replaces the peer's list; false (default): adds to it.
  readonly replaceAllowedIps?: boolean;
  // false: the endpoint stays what the caller sets — a path layer routes it (src/nat) — instead
  // of following the source of authentic packets. Default true (WireGuard's roaming).
  readonly roaming?: boolean;
}

export interface PeerStatus {
  readonly publicKey: Uint8Array;
  readonly presharedKey: Uint8Array | null;
  readonly endpoint: Endpoint | null;
  readonly persistentKeepaliveSeconds: number;
  readonly allowedIps: IpPrefix[];
  readonly rxBytes: number;
  readonly txBytes: number;
  readonly lastHandshakeWallMs: number | null;
  readonly handshakes: number; // completed with this peer since it was added
  readonly hasSession: boolean;
  readonly drops: Readonly<Record<string, number>>;
}

// Where a caller doing batched I/O puts packets: slot i starts at arenaOffset + i * slotBytes
// in `buffer` (the WASM memory). A datagram goes at the slot's start; a TUN packet goes
// headerBytes into it (room for the transport header) and may be up to maxPacketBytes long.
export interface DeviceBatchLayout {
  readonly buffer: ArrayBuffer;
  readonly arenaOffset: number;
  readonly slotBytes: number;
  readonly headerBytes: number;
  readonly maxBatch: number;
  readonly maxPacketBytes: number;
}

// The DoS defence at work (whitepaper §5.3): for status lines and benchmarks.
export interface HandshakeLoad {
  // Whether handshake messages currently need mac2 (see load-meter.ts).
  readonly underLoad: boolean;
  // Handshake messages waiting for the handshake budget.
  readonly queued: number;
  // Cookie replies this device sent (answering messages without a valid mac2 under load), and
  // cookie replies from peers under load it accepted (its next messages carry mac2).
  readonly cookieRepliesSent: number;
  readonly cookieRepliesConsumed: number;
  // Messages that arrived under load with a valid mac2: a sender that used our cookie.
  readonly validMac2: number;
}

export interface Device {
  readonly publicKey: Uint8Array | null;
  // A copy of the static private key (for `wg showconf` over the UAPI).
  readonly privateKey: Uint8Array | null;
  readonly batchLayout: DeviceBatchLayout;
  // `count` TUN packets already in slots 0..count-1 (see DeviceBatchLayout), lengths[i] each.
  // The output is the device's own object, valid until the next call into the device.
  handleTunBatch(now: number, lengths: ArrayLike<number>, count: number): DeviceOutput;
  // `count` datagrams already in slots 0..count-1, from sources[i]. A length of 0 marks a slot
  // the caller took out of the batch (a datagram of another protocol): skipped, not counted.
  handleDatagramBatch(now: number, lengths: ArrayLike<number>, sources: readonly Endpoint[], count: number): DeviceOutput;
  // A datagram from the network. Returned bytes may be views into WASM memory, valid until the
  // next call into the device.
  handleDatagram(now: number, datagram: Uint8Array, from: Endpoint): DeviceAction[];
  // An IP packet read from the TUN, to send to whichever peer AllowedIPs picks.
  handleTunPacket(now: number, packet: Uint8Array): DeviceAction[];
  handleTick(now: number): DeviceAction[];
  // When handleTick must next run (monotonic ms), or null when nothing is scheduled.
  nextDeadline(): number | null;
  setPrivateKey(key: Uint8Array | null): void;
  // Adds or updates a peer; may send (a keepalive when persistent keepalive gets enabled).
  upsertPeer(now: number, settings: PeerSettings): DeviceAction[];
  removePeer(publicKey: Uint8Array): boolean;
  hasPeer(publicKey: Uint8Array): boolean;
  // Every peer with its AllowedIPs (listed out of WASM: configuration and status, not per packet).
  peers(): PeerStatus[];
  drops(): Readonly<Record<string, number>>;
  handshakeLoad(now: number): HandshakeLoad;
}

function requireKey(name: string, key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== 32) throw new RangeError(`${name} must be 32 bytes`);
}

export function createDevice(deps: DeviceDeps, options: DeviceOptions = {}): Device {
  deps.transport.reset();
  deps.allowedIps.clear();
  deps.transport.setMtu(options.mtu ?? DEFAULT_MTU);
  const handshakeQueue = createHandshakeQueue();
  const ctx: DeviceContext = {
    deps,
    noise: { protocol: WIREGUARD_HANDSHAKE, crypto: deps.crypto, x25519: deps.x25519, random: deps.random },
    local: null,
    cookieChecker: null,
    peersById: new Map(),
    peersByNumber: [],
    indices: new Map(),
    keypairSlots: createSlotPool(KEYPAIR_SLOT_COUNT),
    peerNumbers: createSlotPool(MAX_PEERS),
    handshakeQueue,
    handshakeSources: new WeakMap(),
    handshakeBudget: createHandshakeBudget(),
    rateLimiter: createHandshakeRateLimiter(),
    load: createLoadMeter({
      handshakesPerSecond: options.handshakesPerSecondUnderLoad ?? DEFAULT_HANDSHAKES_PER_SECOND_UNDER_LOAD,
      queuedThreshold: handshakeQueue.capacity / 8,
    }),
    drops: new Map(),
    cookieStats: { repliesSent: 0, repliesConsumed: 0, validMac2: 0 },
    output: createDeviceOutput(deps.transport.capacity),
    arenaOffset: deps.transport.arena.byteOffset,
    deadlineBound: Infinity,
    release: (keypair) => releaseKeypair(ctx, keypair),
    drawJitter: () => jitterFromRandomWord(randomUint32(deps.random)),
  };

  const remoteIdentity = (publicKey: Uint8Array, presharedKey: Uint8Array | null): RemoteIdentity => ({
    publicKey,
    presharedKey: presharedKey ?? ZERO_KEY,
    staticStatic: ctx.local === null ? null : deps.x25519.sharedSecret(ctx.local.privateKey, publicKey),
  });

  const t = deps.transport;
  const batchLayout: DeviceBatchLayout = {
    buffer: t.arena.buffer as ArrayBuffer,
    arenaOffset: t.arena.byteOffset,
    slotBytes: t.slotBytes,
    headerBytes: t.headerBytes,
    maxBatch: inputSlots(ctx),
    // Room after the packet for padding to 16 and the tag.
    maxPacketBytes: t.slotBytes - t.headerBytes - 32,
  };
  const requireBatch = (count: number): void => {
    if (!Number.isInteger(count) || count < 0 || count > batchLayout.maxBatch) {
      throw new RangeError(`a batch holds 0 to ${batchLayout.maxBatch} packets, got ${count}`);
    }
  };

  const tunBatch = (now: number, lengths: ArrayLike<number>, count: number): void => {
    let described = 0;
    for (let i = 0; i < count; i++) {
      const length = lengths[i]!;
      if (length > batchLayout.maxPacketBytes) drop(ctx, null, "tooLong");
      else describeInput(ctx, described++, i * t.slotBytes, length);
    }
    encryptSlots(ctx, now, described, true);
  };

  const datagramBatch = (now: number, lengths: ArrayLike<number>, sources: readonly Endpoint[], count: number): void => {
    let described = 0;
    for (let i = 0; i < count; i++) {
      const length = lengths[i]!;
      if (length === 0) continue; // a slot the caller took out of the batch (STUN, disco, relay)
      if (length > t.slotBytes) {
        drop(ctx, null, "tooLong");
        continue;
      }
      describeDatagram(ctx, described++, i * t.slotBytes, length, sources[i]!);
    }
    for (const { datagram, from } of decryptSlots(ctx, now, described)) receiveHandshakeMessage(ctx, now, datagram, from);
    processHandshakeQueue(ctx, now);
  };

  // The soonest timer or keypair expiry over every peer, Infinity when there is none.
  const exactDeadline = (): number => {
    let next = Infinity;
    for (const peer of ctx.peersById.values()) {
      next = Math.min(next, nextTimerDeadline(peer.timers) ?? Infinity, nextKeypairExpiry(peer, REJECT_AFTER_TIME_MS) ?? Infinity);
    }
    return next;
  };

  const collect = (work: () => void): DeviceOutput => {
    resetDeviceOutput(ctx.output);
    work();
    return ctx.output;
  };

  // For calls that are not on the packet path: everything as actions, in-place packets as views.
  const collectActions = (work: () => void): DeviceAction[] => {
    const { actions, sends, tunWrites } = collect(work);
    const view = (offset: number, length: number): Uint8Array => new Uint8Array(batchLayout.buffer, offset, length);
    for (let i = 0; i < sends.count; i++) actions.push({ type: "send", to: sends.to[i]!, datagram: view(sends.offsets[i]!, sends.lengths[i]!) });
    for (let i = 0; i < tunWrites.count; i++) actions.push({ type: "tun", packet: view(tunWrites.offsets[i]!, tunWrites.lengths[i]!) });
    return actions;
  };

  // The static-static DH, computed once per peer, is a secret as long-lived as our static
  // private key: zeroed when its peer goes or our key changes (a new one is computed then).
  const replaceRemote = (peer: Peer, remote: RemoteIdentity): void => {
    if (remote.staticStatic !== peer.remote.staticStatic) peer.remote.staticStatic?.fill(0);
    peer.remote = remote;
  };

  const removePeer = (peer: Peer): void => {
    peer.remote.staticStatic?.fill(0);
    clearSessions(peer, deps.transport, ctx.release);
    discardPending(ctx, peer);
    for (const [index, entry] of ctx.indices) if (entry.peer === peer) ctx.indices.delete(index);
    deps.allowedIps.removePeer(peer.number);
    stopAllTimers(peer.timers);
    ctx.peersById.delete(peer.id);
    ctx.peersByNumber[peer.number] = undefined;
    ctx.peerNumbers.give(peer.number);
  };

  const timerHandlers: Record<TimerName, (now: number, peer: Peer) => void> = {
    retransmitHandshake(now, peer) {
      if (peer.timers.handshakeAttempts > MAX_TIMER_HANDSHAKES) {
        // Give up (whitepaper §6.4): drop what waited for this session.
        for (let i = 0; i < peer.staged.length; i++) drop(ctx, peer, Drop.handshakeGaveUp);
        peer.staged = [];
        if (peer.timers.deadlines.zeroKeyMaterial === NOT_ARMED) armTimer(peer.timers, "zeroKeyMaterial", now + ZERO_KEY_MATERIAL_AFTER_MS);
        return;
      }
      peer.timers.handshakeAttempts++;
      sendInitiation(ctx, now, peer, true);
    },
    sendKeepalive(now, peer) {
      sendKeepalive(ctx, now, peer);
      if (peer.timers.needAnotherKeepalive) {
        peer.timers.needAnotherKeepalive = false;
        armTimer(peer.timers, "sendKeepalive", now + KEEPALIVE_TIMEOUT_MS);
      }
    },
    newHandshake(now, peer) {
      sendInitiation(ctx, now, peer, false);
    },
    zeroKeyMaterial(_now, peer) {
      clearSessions(peer, deps.transport, ctx.release);
      discardPending(ctx, peer);
    },
    persistentKeepalive(now, peer) {
      if (peer.timers.persistentKeepaliveMs > 0) sendKeepalive(ctx, now, peer);
    },
  };

  const device: Device = {
    get publicKey() {
      return ctx.local?.publicKey ?? null;
    },
    get privateKey() {
      return ctx.local === null ? null : Uint8Array.from(ctx.local.privateKey);
    },

    batchLayout,

    handleTunBatch(now, lengths, count) {
      requireBatch(count);
      return collect(() => tunBatch(now, lengths, count));
    },

    handleDatagramBatch(now, lengths, sources, count) {
      requireBatch(count);
      return collect(() => datagramBatch(now, lengths, sources, count));
    },

    handleDatagram: (now, datagram, from) =>
      collectActions(() => {
        if (datagram.length > t.slotBytes) return drop(ctx, null, "tooLong");
        t.arena.set(datagram, 0);
        datagramBatch(now, [datagram.length], [from], 1);
      }),

    handleTunPacket: (now, packet) =>
      collectActions(() => {
        if (packet.length > batchLayout.maxPacketBytes) return drop(ctx, null, "tooLong");
        t.arena.set(packet, t.headerBytes);
        tunBatch(now, [packet.length], 1);
      }),

    handleTick: (now) =>
      collectActions(() => {
        ctx.rateLimiter.prune(now);
        processHandshakeQueue(ctx, now);
        for (const peer of ctx.peersById.values()) {
          expireKeypairs(peer, now, REJECT_AFTER_TIME_MS, deps.transport, ctx.release);
          for (const name of expiredTimers(peer.timers, now)) timerHandlers[name](now, peer);
        }
        ctx.deadlineBound = exactDeadline();
      }),

    nextDeadline() {
      // Queued handshake messages are due as soon as the handshake budget allows; the peers'
      // timers and keypairs no later than the bound (O(1) per batch, however many peers).
      const queuedAt = ctx.handshakeQueue.oldestAt;
      const next = Math.min(queuedAt === null ? Infinity : Math.max(queuedAt, ctx.handshakeBudget.readyAt()), ctx.deadlineBound);
      return next === Infinity ? null : next;
    },

    setPrivateKey(key) {
      if (key !== null) requireKey("privateKey", key);
      // The replaced key is done with: the X25519 implementation drops its imported copy and ours
      // is zeroed (nothing else holds it: handshakes read ctx.local when they run).
      if (ctx.local !== null) {
        deps.x25519.forget(ctx.local.privateKey);
        ctx.local.privateKey.fill(0);
      }
      ctx.local = key === null ? null : { privateKey: Uint8Array.from(key), publicKey: deps.x25519.publicKey(key) };
      ctx.cookieChecker = ctx.local === null ? null : createCookieChecker(ctx.local.publicKey);
      for (const peer of [...ctx.peersById.values()]) {
        // A peer with our own public key would be talking to itself (wg(8) removes it too).
        if (ctx.local !== null && encodeKey(ctx.local.publicKey) === peer.id) {
          removePeer(peer);
          continue;
        }
        clearSessions(peer, deps.transport, ctx.release);
        discardPending(ctx, peer);
        replaceRemote(peer, remoteIdentity(peer.publicKey, peer.remote.presharedKey === ZERO_KEY ? null : peer.remote.presharedKey));
      }
    },

    upsertPeer: (now, settings) =>
      collectActions(() => {
        requireKey("publicKey", settings.publicKey);
        if (settings.presharedKey) requireKey("presharedKey", settings.presharedKey);
        if (settings.endpoint && parseIpAddress(settings.endpoint.host) === null) {
          throw new RangeError(`endpoint host "${settings.endpoint.host}" must be an IP address (resolve names first)`);
        }
        const id = encodeKey(settings.publicKey);
        let peer = ctx.peersById.get(id);
        if (peer === undefined) {
          const number = ctx.peerNumbers.take();
          if (number === null) throw new RangeError(`a device holds at most ${MAX_PEERS} peers`);
          const publicKey = Uint8Array.from(settings.publicKey);
          peer = createPeer(number, publicKey, id, remoteIdentity(publicKey, settings.presharedKey ?? null), 0, (at) => noteDeadline(ctx, at));
          ctx.peersById.set(id, peer);
          ctx.peersByNumber[number] = peer;
        } else if (settings.presharedKey !== undefined) {
          // Neither static key changed: the static-static DH stands.
          replaceRemote(peer, { ...peer.remote, presharedKey: settings.presharedKey ?? ZERO_KEY });
        }
        if (settings.endpoint !== undefined) peer.endpoint = settings.endpoint;
        if (settings.roaming !== undefined) peer.roaming = settings.roaming;
        if (settings.replaceAllowedIps) deps.allowedIps.removePeer(peer.number);
        for (const prefix of settings.allowedIps ?? []) deps.allowedIps.insert(prefix, peer.number);
        if (settings.persistentKeepaliveSeconds !== undefined) {
          const intervalMs = settings.persistentKeepaliveSeconds * 1000;
          setPersistentKeepalive(peer.timers, now, intervalMs);
          // A newly enabled persistent keepalive opens the path now, as wg set does.
          if (intervalMs > 0 && ctx.local !== null) sendKeepalive(ctx, now, peer);
        }
      }),

    removePeer(publicKey) {
      const peer = ctx.peersById.get(encodeKey(publicKey));
      if (peer === undefined) return false;
      removePeer(peer);
      return true;
    },

    hasPeer: (publicKey) => ctx.peersById.has(encodeKey(publicKey)),

    peers: () =>
      [...ctx.peersById.values()].map((peer) => ({
        publicKey: peer.publicKey,
        presharedKey: peer.remote.presharedKey === ZERO_KEY ? null : peer.remote.presharedKey,
        endpoint: peer.endpoint,
        persistentKeepaliveSeconds: peer.timers.persistentKeepaliveMs / 1000,
        allowedIps: deps.allowedIps.list(peer.number),
        rxBytes: peer.stats.rxBytes,
        txBytes: peer.stats.txBytes,
        lastHandshakeWallMs: peer.stats.lastHandshakeWallMs,
        handshakes: peer.stats.handshakes,
        hasSession: peer.current !== null,
        drops: Object.fromEntries(peer.drops),
      })),

    drops: () => Object.fromEntries(ctx.drops),

    handshakeLoad: (now) => ({
      underLoad: ctx.load.underLoad(now),
      queued: ctx.handshakeQueue.length,
      cookieRepliesSent: ctx.cookieStats.repliesSent,
      cookieRepliesConsumed: ctx.cookieStats.repliesConsumed,
      validMac2: ctx.cookieStats.validMac2,
    }),
  };
  if (options.privateKey) device.setPrivateKey(options.privateKey);
  return device;
}
