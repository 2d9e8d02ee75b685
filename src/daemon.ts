// The composition root: the one place that builds meshgate's parts and wires them together.
// Today it composes a userspace WireGuard interface from a wg-quick file (`meshgate wg up`);
// the mesh daemon (coordinator, control client) joins here as it lands.

import { readFileSync } from "node:fs";
import { createDataplane } from "./dataplane/dataplane.js";
import { compilePreferredCryptoWasm } from "./dataplane/crypto-wasm.js";
import { selfTestCryptoCore } from "./dataplane/self-test.js";
import { createPacketLoop, type PacketLoop } from "./interface/packet-loop.js";
import { createUapiHandler, type InterfaceSettings } from "./interface/uapi-handler.js";
import { planWgQuick } from "./interface/wg-quick-plan.js";
import { replaceAddress, replaceRoute, setLinkMtu, setLinkUp } from "./io/ip-command.js";
import { resolveEndpoint } from "./io/resolve-endpoint.js";
import { createSystemRandom } from "./io/system-random.js";
import { openTun, type Tun } from "./io/tun.js";
import { listenUapi, uapiSocketAnswers, uapiSocketPath, type UapiSocket } from "./io/uapi-socket.js";
import { openUdp, type UdpSockets } from "./io/udp.js";
import { parseWireGuardConfig } from "./wireguard/config.js";
import { createDevice, type Device } from "./wireguard/device.js";
import { createFastestX25519 } from "./wireguard/x25519.js";

export interface RunningInterface {
  readonly name: string;
  readonly listenPort: number;
  readonly device: Device;
  readonly loop: PacketLoop;
  // Resolves when the interface stops (stop() or the TUN deleted from outside).
  readonly stopped: Promise<void>;
  stop(): Promise<void>;
}

export interface StartInterfaceOptions {
  readonly configPath: string;
  readonly uapiDirectory?: string;
  readonly log: (line: string) => void;
}

function readConfig(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (cause) {
    throw new Error(`cannot read ${path}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, { cause });
  }
}

// Brings a WireGuard interface up from a wg-quick file: TUN, MTU, addresses, link up, routes,
// UDP sockets, peers, the UAPI socket, the packet loop. On any failure everything already
// made is undone (closing the TUN removes the interface with its addresses and routes).
export async function startWireGuardInterface(options: StartInterfaceOptions): Promise<RunningInterface> {
  const { configPath, log } = options;
  const config = parseWireGuardConfig(readConfig(configPath), configPath);
  const plan = planWgQuick(configPath, config);
  for (const warning of plan.warnings) log(`warning: ${warning}`);
  const socketPath = uapiSocketPath(plan.interfaceName, options.uapiDirectory);
  if (await uapiSocketAnswers(socketPath)) throw new Error(`${plan.interfaceName} is already up (${socketPath} answers)`);

  const dataplane = createDataplane(compilePreferredCryptoWasm());
  selfTestCryptoCore(dataplane.crypto);
  const device = createDevice(
    { ...dataplane, x25519: createFastestX25519(), random: createSystemRandom(), wallClock: Date.now },
    { privateKey: config.interface.privateKey ?? null, mtu: plan.mtu },
  );
  const now = (): number => performance.now();
  const peers = await Promise.all(
    config.peers.map(async (peer) => ({ ...peer, endpoint: peer.endpoint && (await resolveEndpoint(peer.endpoint)) })),
  );

  let tun: Tun | null = null;
  let udp: UdpSockets | null = null;
  let uapi: UapiSocket | null = null;
  try {
    tun = openTun(plan.interfaceName);
    await setLinkMtu(tun.name, plan.mtu);
    for (const address of plan.addresses) await replaceAddress(tun.name, address);
    await setLinkUp(tun.name);
    for (const route of plan.routes) await replaceRoute(tun.name, route, plan.routeTable);
    const fwmark = config.interface.fwMark ?? 0;
    udp = openUdp(config.interface.listenPort ?? 0, fwmark);
    const settings: InterfaceSettings = { listenPort: udp.port, fwmark };

    let resolveStopped!: () => void;
    const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
    let stopping: Promise<void> | null = null;
    const ownedTun = tun;
    const stop = (): Promise<void> =>
      (stopping ??= (async () => {
        loop.stop();
        await uapi?.close();
        ownedTun.close();
        log(`${plan.interfaceName} is down`);
        resolveStopped();
      })());

    const loop = createPacketLoop({
      device,
      tun,
      udp,
      now,
      onInterfaceGone: (errno) => {
        log(`${plan.interfaceName} was removed from outside (errno ${errno}); shutting down`);
        void stop();
      },
    });
    for (const peer of peers) {
      loop.apply(
        device.upsertPeer(now(), {
          publicKey: peer.publicKey,
          allowedIps: peer.allowedIps,
          ...(peer.presharedKey ? { presharedKey: peer.presharedKey } : {}),
          ...(peer.endpoint ? { endpoint: peer.endpoint } : {}),
          ...(peer.persistentKeepalive ? { persistentKeepaliveSeconds: peer.persistentKeepalive } : {}),
        }),
      );
    }
    loop.start();
    uapi = await listenUapi(
      socketPath,
      createUapiHandler({ device, loop, settings, now, openUdp: (port, mark) => openUdp(port, mark), log }),
    );
    log(`${plan.interfaceName} is up: UDP port ${udp.port}, ${peers.length} peer(s), MTU ${plan.mtu}, UAPI ${socketPath}`);
    return { name: plan.interfaceName, listenPort: udp.port, device, loop, stopped, stop };
  } catch (error) {
    await uapi?.close();
    udp?.close();
    tun?.close();
    throw error;
  }
}
