// Bringing one userspace WireGuard interface up: the TUN device with its MTU, addresses and
// routes, the UDP sockets, the device and its packet loop, and the UAPI socket `wg` talks to.
// Used by both composition roots that run an interface (wireguard-interface.ts, mesh-node.ts).

import type { Dataplane } from "../dataplane/dataplane.js";
import { createHandshakeLoadReport } from "../interface/handshake-load-report.js";
import { createOffloadReport } from "../interface/offload-report.js";
import { createPacketLoop, type PacketLoop, type SideChannel } from "../interface/packet-loop.js";
import { createUapiHandler, type InterfaceSettings } from "../interface/uapi-handler.js";
import { monotonicMs, schedule, wallClockMs } from "../io/clock.js";
import { replaceAddress, replaceRoute, setLinkMtu, setLinkUp } from "../io/ip-command.js";
import { openTun, type Tun } from "../io/tun.js";
import { listenUapi, uapiSocketAnswers, uapiSocketPath, type UapiSocket } from "../io/uapi-socket.js";
import { openUdp, type UdpSockets } from "../io/udp.js";
import { createDevice, type Device, type PeerSettings } from "../wireguard/device.js";
import type { RandomSource } from "../wireguard/random-source.js";
import { createFastestX25519 } from "../wireguard/x25519.js";

export type Log = (line: string) => void;

const REPORT_POLL_MS = 1000;

export interface InterfaceOptions {
  readonly dataplane: Dataplane;
  readonly random: RandomSource;
  readonly name: string;
  readonly privateKey: Uint8Array;
  readonly mtu: number;
  readonly addresses: readonly string[];
  readonly routes: readonly string[];
  readonly routeTable: string | undefined;
  readonly listenPort: number;
  readonly fwmark: number;
  readonly peers: readonly PeerSettings[];
  // Other protocols on the UDP socket, and peers a path layer routes (a mesh node's, src/nat).
  readonly sideChannel?: SideChannel;
  // Runs once routes and peers are in, before the UAPI socket answers (which is when `wg up`
  // in the background reports the interface up): more routing that must be in place by then.
  readonly beforeReady?: (name: string) => Promise<void>;
  readonly log: Log;
  // TUN segmentation/coalescing and UDP GSO/GRO (default: on unless MESHGATE_OFFLOAD=off).
  readonly offload?: boolean;
}

// MESHGATE_OFFLOAD=off turns the offloads off: to compare, or to rule them out when a kernel
// or a driver misbehaves.
export function offloadWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return !/^(off|0|false|no)$/i.test(env.MESHGATE_OFFLOAD?.trim() ?? "");
}

export interface RunningInterface {
  readonly name: string;
  readonly listenPort: number;
  readonly device: Device;
  readonly loop: PacketLoop;
  // Resolves when the interface stops (stop() or the TUN deleted from outside).
  readonly stopped: Promise<void>;
  stop(): Promise<void>;
}

// TUN, MTU, addresses, link up, routes, UDP sockets, peers, the UAPI socket (so `wg show`
// works), the packet loop. On failure everything already made is undone (closing the TUN
// removes the interface with its addresses and routes).
export async function bringUpInterface(options: InterfaceOptions): Promise<RunningInterface> {
  const { log } = options;
  const socketPath = uapiSocketPath(options.name);
  if (await uapiSocketAnswers(socketPath)) throw new Error(`${options.name} is already up (${socketPath} answers)`);
  const device = createDevice(
    { ...options.dataplane, x25519: createFastestX25519(), random: options.random, wallClock: wallClockMs },
    { privateKey: options.privateKey, mtu: options.mtu },
  );
  let tun: Tun | null = null;
  let udp: UdpSockets | null = null;
  let uapi: UapiSocket | null = null;
  try {
    const offload = options.offload ?? offloadWanted();
    tun = openTun(options.name, { offload });
    log(`${tun.name}: offloads ${tun.offloaded ? "on (TCP segmentation and coalescing on the TUN, UDP GSO and GRO)" : offload ? "unavailable (the kernel refused them)" : "off (MESHGATE_OFFLOAD)"}`);
    await setLinkMtu(tun.name, options.mtu);
    for (const address of options.addresses) await replaceAddress(tun.name, address);
    await setLinkUp(tun.name);
    for (const route of options.routes) await replaceRoute(tun.name, route, options.routeTable);
    udp = openUdp(options.listenPort, options.fwmark, { offload });
    const settings: InterfaceSettings = { listenPort: udp.port, fwmark: options.fwmark };
    let resolveStopped!: () => void;
    const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
    let stopping: Promise<void> | null = null;
    const ownedTun = tun;
    // The handshake DoS defence and the TUN offloads in the log: polled each second once up, at
    // most a line per 10 s each, and a last one at shutdown.
    const reports = [
      createHandshakeLoadReport({ name: options.name, device, log, now: monotonicMs }),
      createOffloadReport({ name: options.name, tun, log, now: monotonicMs }),
    ];
    let reportTimer: NodeJS.Timeout | undefined;
    const stop = (): Promise<void> =>
      (stopping ??= (async () => {
        clearInterval(reportTimer);
        for (const report of reports) report.flush();
        loop.stop();
        await uapi?.close();
        ownedTun.close();
        log(`${options.name} is down`);
        resolveStopped();
      })());
    const loop = createPacketLoop({
      device,
      tun,
      udp,
      now: monotonicMs,
      schedule,
      onInterfaceGone: (errno) => {
        log(`${options.name} was removed from outside (errno ${errno}); shutting down`);
        void stop();
      },
      ...(options.sideChannel !== undefined ? { sideChannel: options.sideChannel } : {}),
    });
    for (const peer of options.peers) loop.apply(device.upsertPeer(monotonicMs(), peer));
    loop.start();
    await options.beforeReady?.(tun.name);
    uapi = await listenUapi(socketPath, createUapiHandler({ device, loop, settings, now: monotonicMs, openUdp: (port, mark) => openUdp(port, mark, { offload }), log }));
    reportTimer = setInterval(() => {
      for (const report of reports) report.poll();
    }, REPORT_POLL_MS);
    reportTimer.unref();
    return { name: options.name, listenPort: udp.port, device, loop, stopped, stop };
  } catch (error) {
    await uapi?.close();
    udp?.close();
    tun?.close();
    throw error;
  }
}
