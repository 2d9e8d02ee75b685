// The event loop of a running WireGuard interface: readiness on the TUN and the UDP sockets
// and one wake-up timer feed the protocol core; its actions go back out.
//
// Flow:
//   1. the TUN is readable → read up to a batch of packets straight into the WASM arena slots
//      → device.handleTunBatch → send the datagrams (sendmmsg per family);
//   2. a UDP socket is readable → recvmmsg into the slots → device.handleDatagramBatch →
//      send handshake answers, write decrypted packets to the TUN;
//   3. the timer fires at device.nextDeadline() → device.handleTick → send.
// Each readiness callback drains at most MAX_BATCHES_PER_WAKE batches, so a flood on one side
// cannot starve the other (libuv calls again while data is waiting; what the addon already
// read — a TUN super-packet's segments, datagrams coalesced by UDP GRO — is picked up on a
// later turn). A batch's packets stay in the arena: the device lists them by offset and length
// and they leave in one sendmmsg / TUN write from there, so a packet costs no object on the
// way through. Outputs are executed before the next call into the device.
//
// A mesh node shares the UDP socket with other protocols (STUN, path discovery, relays) and
// routes some peers itself: the optional side channel takes non-WireGuard datagrams out of each
// batch (step 2) and routes the sends addressed to endpoints it owns (a peer's path, src/nat):
// to another address in the same batch, or its own way (a TCP relay).

import type { Tun } from "../io/tun.js";
import type { UdpSocket, UdpSockets } from "../io/udp.js";
import type { Device, DeviceAction, DeviceOutput } from "../wireguard/device.js";
import type { Endpoint } from "../net/endpoint.js";

const MAX_BATCHES_PER_WAKE = 8;

export interface PacketLoopDeps {
  readonly device: Device;
  readonly tun: Tun;
  udp: UdpSockets;
  // Monotonic milliseconds (performance.now in the daemon).
  readonly now: () => number;
  // Runs `run` once after `delayMs` on the same clock; returns a cancel (io/clock.ts's schedule
  // in the daemon, a fake clock in tests).
  readonly schedule: (delayMs: number, run: () => void) => () => void;
  // Called once if the TUN interface disappears (deleted from outside).
  readonly onInterfaceGone: (errno: number) => void;
  readonly sideChannel?: SideChannel;
  // Runs `run` on a later turn of the event loop, after pending I/O (setImmediate by default):
  // for packets already read from the kernel (a TUN super-packet's remaining segments,
  // datagrams coalesced by UDP GRO), which no readiness event will announce.
  readonly defer?: (run: () => void) => void;
}

// What a layer above the device (src/nat, wired by the mesh node) hooks into the loop.
export interface SideChannel {
  // Called for every received datagram (`length` bytes at `offset` of `arena`, valid only
  // during the call: copy what you keep). Returns
  //   null: WireGuard, for the device as it is;
  //   "taken": another protocol, handled — the device never sees it;
  //   { length, from }: WireGuard carried inside another protocol (a relay frame), moved by the
  //     side channel to the slot's start: `length` bytes for the device, as if from `from`.
  take(arena: Uint8Array, offset: number, length: number, from: Endpoint): "taken" | { readonly length: number; readonly from: Endpoint } | null;
  // A send the device asked for: `length` bytes at `offset` of `buffer`, to `to` (read during
  // the call only). Returns where they really go:
  //   an Endpoint: these bytes, to that address (`to` itself when it is not an endpoint the side
  //     channel owns — it recognises them by identity — or a peer's direct path);
  //   { to, datagram }: other bytes (wrapped for a relay), sent with the rest of the batch;
  //   "taken": the side channel sent it its own way (a TCP relay) or dropped it.
  route(to: Endpoint, buffer: ArrayBuffer, offset: number, length: number): Endpoint | RoutedDatagram | "taken";
}

export interface RoutedDatagram {
  readonly to: Endpoint;
  readonly datagram: Uint8Array;
}

// The loop owns the UDP sockets it is given (and those that replace them): stop() closes them.
export interface PacketLoop {
  start(): void;
  stop(): void;
  // The UDP sockets the loop owns now.
  readonly udp: UdpSockets;
  // Swaps the UDP sockets (the listen port changed); the old ones are closed.
  replaceUdp(udp: UdpSockets): void;
  // Executes the actions a configuration change returned (e.g. a keepalive).
  apply(actions: DeviceAction[]): void;
  // A WireGuard datagram that came another way (a relay): into the device as if from `from`.
  receive(datagram: Uint8Array, from: Endpoint): void;
}

// A source's "drain again on a later turn", made once per source: under load it runs hundreds
// of times a second, so it costs no closure each time. `pending` queues it at most once; the
// drain itself checks that the loop still runs.
interface Continuation {
  pending: boolean;
  readonly run: () => void;
}

function continuation(drain: () => void): Continuation {
  const made: Continuation = {
    pending: false,
    run: () => {
      made.pending = false;
      drain();
    },
  };
  return made;
}

export function createPacketLoop(deps: PacketLoopDeps): PacketLoop {
  const { device, tun, now } = deps;
  const layout = device.batchLayout;
  const lengths = new Uint32Array(layout.maxBatch);
  // The datagram slots as bytes (slot i at i * slotBytes), for the side channel's look.
  const arena = new Uint8Array(layout.buffer, layout.arenaOffset, layout.maxBatch * layout.slotBytes);
  const sources: Endpoint[] = new Array<Endpoint>(layout.maxBatch);
  const datagrams: Uint8Array[] = [];
  const destinations: Endpoint[] = [];
  const packets: Uint8Array[] = [];
  let cancelTimer: (() => void) | null = null;
  let timerAt = Infinity;
  let running = false;

  // The sends from the arena, after the side channel chose their destinations.
  const routedSends = { count: 0, offsets: new Uint32Array(layout.maxBatch * 2), lengths: new Uint32Array(layout.maxBatch * 2), to: new Array<Endpoint>(layout.maxBatch * 2) };

  const executeActions = (actions: DeviceAction[]): void => {
    const side = deps.sideChannel;
    for (const action of actions) {
      if (action.type === "tun") {
        packets.push(action.packet);
        continue;
      }
      const { datagram } = action;
      const routed = side === undefined ? action.to : side.route(action.to, datagram.buffer as ArrayBuffer, datagram.byteOffset, datagram.length);
      if (routed === "taken") continue;
      const wrapped = "datagram" in routed;
      datagrams.push(wrapped ? routed.datagram : datagram);
      destinations.push(wrapped ? routed.to : routed);
    }
  };

  const flush = (): void => {
    if (datagrams.length > 0) deps.udp.send(datagrams, destinations);
    if (packets.length > 0) tun.write(packets);
    datagrams.length = 0;
    destinations.length = 0;
    packets.length = 0;
    schedule();
  };

  const execute = (actions: DeviceAction[]): void => {
    executeActions(actions);
    flush();
  };

  const executeOutput = (output: DeviceOutput): void => {
    executeActions(output.actions);
    const { tunWrites } = output;
    let sends = output.sends;
    const side = deps.sideChannel;
    if (side !== undefined) {
      // The side channel sees every send (a mesh peer's endpoint stands for its path).
      routedSends.count = 0;
      for (let i = 0; i < sends.count; i++) {
        const routed = side.route(sends.to[i]!, layout.buffer, sends.offsets[i]!, sends.lengths[i]!);
        if (routed === "taken") continue;
        if ("datagram" in routed) {
          datagrams.push(routed.datagram);
          destinations.push(routed.to);
          continue;
        }
        routedSends.offsets[routedSends.count] = sends.offsets[i]!;
        routedSends.lengths[routedSends.count] = sends.lengths[i]!;
        routedSends.to[routedSends.count++] = routed;
      }
      sends = routedSends;
    }
    if (sends.count > 0) deps.udp.sendSlots(layout.buffer, sends.offsets, sends.lengths, sends.to, sends.count);
    if (tunWrites.count > 0) tun.writeSlots(layout.buffer, tunWrites.offsets, tunWrites.lengths, tunWrites.count);
    flush();
  };

  const onTimer = (): void => {
    cancelTimer = null;
    timerAt = Infinity;
    if (running) execute(device.handleTick(now()));
  };

  // One timer, armed for the device's next deadline; re-armed only if that moved earlier.
  function schedule(): void {
    if (!running) return;
    const deadline = device.nextDeadline();
    if (deadline === null || deadline >= timerAt) return;
    cancelTimer?.();
    timerAt = deadline;
    cancelTimer = deps.schedule(Math.max(0, deadline - now()), onTimer);
  }

  // Packets already read (a TUN super-packet's segments, datagrams coalesced by UDP GRO) wait
  // for no readiness event: their source is drained again on a later turn, once at a time.
  const defer = deps.defer ?? setImmediate;
  const continueLater = (next: Continuation): void => {
    if (next.pending) return;
    next.pending = true;
    defer(next.run);
  };
  const onTunReadable = (): void => {
    for (let round = 0; round < MAX_BATCHES_PER_WAKE && running; round++) {
      const count = tun.readBatch(layout.buffer, layout.arenaOffset + layout.headerBytes, layout.slotBytes, layout.maxBatch, layout.maxPacketBytes, lengths);
      if (count < 0) {
        running = false;
        deps.onInterfaceGone(-count);
        return;
      }
      if (count === 0) break;
      executeOutput(device.handleTunBatch(now(), lengths, count));
      if (count < layout.maxBatch) break;
    }
    if (running && tun.hasPending()) continueLater(tunContinuation);
  };
  const tunContinuation = continuation(onTunReadable);

  const drainUdp = (socket: UdpSocket, later: Continuation): void => {
    for (let round = 0; round < MAX_BATCHES_PER_WAKE && running; round++) {
      const count = socket.receiveBatch(layout.buffer, layout.arenaOffset, layout.slotBytes, layout.maxBatch, layout.slotBytes, lengths, sources);
      if (count === 0) break;
      const side = deps.sideChannel;
      if (side !== undefined) {
        for (let i = 0; i < count; i++) {
          const taken = side.take(arena, i * layout.slotBytes, lengths[i]!, sources[i]!);
          if (taken === "taken") lengths[i] = 0;
          else if (taken !== null) {
            lengths[i] = taken.length;
            sources[i] = taken.from;
          }
        }
      }
      executeOutput(device.handleDatagramBatch(now(), lengths, sources, count));
      if (count < layout.maxBatch) break;
    }
    if (running && socket.hasPending()) continueLater(later);
  };

  const watchUdp = (): void => {
    for (const socket of deps.udp.sockets) {
      const drain = (): void => drainUdp(socket, later);
      const later = continuation(drain);
      socket.onReadable(drain);
    }
  };

  return {
    start() {
      running = true;
      tun.onReadable(onTunReadable);
      watchUdp();
      schedule();
    },
    stop() {
      running = false;
      cancelTimer?.();
      cancelTimer = null;
      timerAt = Infinity;
      deps.udp.close();
    },
    get udp() {
      return deps.udp;
    },
    replaceUdp(udp) {
      const old = deps.udp;
      deps.udp = udp;
      old.close();
      if (running) watchUdp();
    },
    apply(actions) {
      execute(actions);
    },
    receive(datagram, from) {
      if (running) execute(device.handleDatagram(now(), datagram, from));
    },
  };
}
