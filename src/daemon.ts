// The composition root: the one place that builds meshgate's parts and wires them together.
//   startWireGuardInterface  a userspace WireGuard interface from a wg-quick file (`wg up`)
//   startCoordinator         the mesh coordinator: control API, admin socket, sweep job
//   startMeshNode            a mesh node: enroll, bring the interface up, follow the netmap

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createDataplane, type Dataplane } from "./dataplane/dataplane.js";
import { compilePreferredCryptoWasm } from "./dataplane/crypto-wasm.js";
import { selfTestCryptoCore } from "./dataplane/self-test.js";
import { createPacketLoop, type PacketLoop } from "./interface/packet-loop.js";
import { createUapiHandler, type InterfaceSettings } from "./interface/uapi-handler.js";
import { planWgQuick } from "./interface/wg-quick-plan.js";
import { serveTcp, serveUnixSocket, type RunningServer } from "./io/http-server.js";
import { replaceAddress, replaceRoute, setLinkMtu, setLinkUp } from "./io/ip-command.js";
import { localEndpoints } from "./io/local-addresses.js";
import { resolveEndpoint } from "./io/resolve-endpoint.js";
import { createSystemRandom } from "./io/system-random.js";
import { openTun, type Tun } from "./io/tun.js";
import { listenUapi, uapiSocketAnswers, uapiSocketPath, type UapiSocket } from "./io/uapi-socket.js";
import { openUdp, type UdpSockets } from "./io/udp.js";
import { startSweepJob } from "./jobs/coordinator-sweep.js";
import { generateUlaPrefix, parsePool, DEFAULT_IPV4_POOL } from "./mesh/address-allocator.js";
import { createAdminApp } from "./mesh/admin-http.js";
import { createCoordinatorChannel } from "./mesh/control-channel.js";
import type { ControlClient } from "./mesh/control-client.js";
import { createCoordinator, DEFAULT_COORDINATOR_SETTINGS, type CoordinatorSettings } from "./mesh/coordinator.js";
import { createControlApp } from "./mesh/coordinator-http.js";
import { desiredPeers, reconcilePeers } from "./mesh/desired-peers.js";
import type { Netmap, NetmapNode } from "./mesh/netmap.js";
import { joinMesh } from "./mesh/join.js";
import { createNodeAgent } from "./mesh/node-agent.js";
import { createNodeApiApp } from "./mesh/node-api-http.js";
import { buildNodeStatus } from "./mesh/node-status.js";
import { openCoordinatorStore } from "./store/coordinator-store.js";
import { loadOrCreateKeyFile } from "./store/key-file.js";
import { openNodeStore } from "./store/node-store.js";
import { parseWireGuardConfig } from "./wireguard/config.js";
import { createDevice, type Device, type PeerSettings } from "./wireguard/device.js";
import { formatIpAddress, parseIpAddress } from "./wireguard/ip-prefix.js";
import type { NoiseDeps } from "./wireguard/noise.js";
import type { RandomSource } from "./wireguard/random-source.js";
import { clampPrivateKey, createFastestX25519 } from "./wireguard/x25519.js";

type Log = (line: string) => void;
const monotonic = (): number => performance.now();

// --- one WireGuard interface -------------------------------------------------------------

interface InterfaceOptions {
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
  readonly log: Log;
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
async function bringUpInterface(options: InterfaceOptions): Promise<RunningInterface> {
  const { log } = options;
  const socketPath = uapiSocketPath(options.name);
  if (await uapiSocketAnswers(socketPath)) throw new Error(`${options.name} is already up (${socketPath} answers)`);
  const device = createDevice(
    { ...options.dataplane, x25519: createFastestX25519(), random: options.random, wallClock: Date.now },
    { privateKey: options.privateKey, mtu: options.mtu },
  );
  let tun: Tun | null = null;
  let udp: UdpSockets | null = null;
  let uapi: UapiSocket | null = null;
  try {
    tun = openTun(options.name);
    await setLinkMtu(tun.name, options.mtu);
    for (const address of options.addresses) await replaceAddress(tun.name, address);
    await setLinkUp(tun.name);
    for (const route of options.routes) await replaceRoute(tun.name, route, options.routeTable);
    udp = openUdp(options.listenPort, options.fwmark);
    const settings: InterfaceSettings = { listenPort: udp.port, fwmark: options.fwmark };
    let resolveStopped!: () => void;
    const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
    let stopping: Promise<void> | null = null;
    const ownedTun = tun;
    const stop = (): Promise<void> =>
      (stopping ??= (async () => {
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
      now: monotonic,
      onInterfaceGone: (errno) => {
        log(`${options.name} was removed from outside (errno ${errno}); shutting down`);
        void stop();
      },
    });
    for (const peer of options.peers) loop.apply(device.upsertPeer(monotonic(), peer));
    loop.start();
    uapi = await listenUapi(socketPath, createUapiHandler({ device, loop, settings, now: monotonic, openUdp: (port, mark) => openUdp(port, mark), log }));
    return { name: options.name, listenPort: udp.port, device, loop, stopped, stop };
  } catch (error) {
    await uapi?.close();
    udp?.close();
    tun?.close();
    throw error;
  }
}

function readConfig(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (cause) {
    throw new Error(`cannot read ${path}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, { cause });
  }
}

export async function startWireGuardInterface(options: { readonly configPath: string; readonly log: Log }): Promise<RunningInterface> {
  const config = parseWireGuardConfig(readConfig(options.configPath), options.configPath);
  const plan = planWgQuick(options.configPath, config);
  for (const warning of plan.warnings) options.log(`warning: ${warning}`);
  const peers = await Promise.all(
    config.peers.map(async (peer): Promise<PeerSettings> => ({
      publicKey: peer.publicKey,
      allowedIps: peer.allowedIps,
      ...(peer.presharedKey ? { presharedKey: peer.presharedKey } : {}),
      ...(peer.endpoint ? { endpoint: await resolveEndpoint(peer.endpoint) } : {}),
      ...(peer.persistentKeepalive ? { persistentKeepaliveSeconds: peer.persistentKeepalive } : {}),
    })),
  );
  const running = await bringUpInterface({
    dataplane: checkedDataplane(),
    random: createSystemRandom(),
    name: plan.interfaceName,
    privateKey: config.interface.privateKey!,
    mtu: plan.mtu,
    addresses: plan.addresses,
    routes: plan.routes,
    routeTable: plan.routeTable,
    listenPort: config.interface.listenPort ?? 0,
    fwmark: config.interface.fwMark ?? 0,
    peers,
    log: options.log,
  });
  options.log(`${running.name} is up: UDP port ${running.listenPort}, ${peers.length} peer(s), MTU ${plan.mtu}, UAPI ${uapiSocketPath(running.name)}`);
  return running;
}

// --- the coordinator -----------------------------------------------------------------------

export interface CoordinatorOptions {
  readonly stateDir: string;
  readonly listenHost: string;
  readonly listenPort: number;
  // The URL nodes use (printed in join commands); by default http://<first LAN address>:<port>.
  readonly advertiseUrl?: string;
  readonly settings?: Partial<CoordinatorSettings>;
  readonly log: Log;
}

export interface RunningCoordinator {
  // Which WASM build runs (it passed its self-test).
  readonly cryptoVariant: string;
  readonly publicKey: string;
  readonly controlUrl: string;
  readonly adminSocket: string;
  stop(): Promise<void>;
}

// One WASM instance per component, self-tested before it is trusted with traffic or keys.
function checkedDataplane(): Dataplane {
  const dataplane = createDataplane(compilePreferredCryptoWasm());
  selfTestCryptoCore(dataplane.crypto);
  return dataplane;
}

export function coordinatorAdminSocket(stateDir: string): string {
  return join(stateDir, "admin.sock");
}

export async function startCoordinator(options: CoordinatorOptions): Promise<RunningCoordinator> {
  const randomSource = createSystemRandom();
  const dataplane = checkedDataplane();
  const noise: NoiseDeps = { crypto: dataplane.crypto, x25519: createFastestX25519(), random: randomSource };
  const privateKey = loadOrCreateKeyFile(join(options.stateDir, "coordinator.key"), () => clampPrivateKey(randomSource.bytes(32)));
  const identity = { privateKey, publicKey: noise.x25519.publicKey(privateKey) };
  const store = openCoordinatorStore(join(options.stateDir, "coordinator.db"));
  let ipv6Prefix = store.getMeta("ipv6_prefix");
  if (ipv6Prefix === null) {
    const prefix = generateUlaPrefix(randomSource);
    ipv6Prefix = `${formatIpAddress({ family: 6, bytes: prefix.address })}/48`;
    store.setMeta("ipv6_prefix", ipv6Prefix);
  }
  const coordinator = createCoordinator({
    store,
    publicKey: identity.publicKey,
    pool: parsePool(DEFAULT_IPV4_POOL, ipv6Prefix),
    random: randomSource,
    now: Date.now,
    settings: { ...DEFAULT_COORDINATOR_SETTINGS, ...options.settings },
    log: options.log,
  });
  const servers: RunningServer[] = [];
  try {
    const control = await serveTcp(createControlApp({ coordinator, channel: createCoordinatorChannel(noise, identity), now: monotonic, log: options.log }), options.listenHost, options.listenPort);
    servers.push(control);
    const port = Number(control.address.split(":").at(-1));
    // A specific listen address is where nodes must come; a wildcard one, the first LAN address.
    const wildcard = options.listenHost === "0.0.0.0" || options.listenHost === "::";
    const lan = localEndpoints(port, []).find((endpoint) => !endpoint.startsWith("["));
    const listened = options.listenHost.includes(":") ? `[${options.listenHost}]:${port}` : `${options.listenHost}:${port}`;
    const controlUrl = options.advertiseUrl ?? `http://${wildcard ? (lan ?? `127.0.0.1:${port}`) : listened}`;
    const publicKey = Buffer.from(identity.publicKey).toString("base64");
    const adminSocket = coordinatorAdminSocket(options.stateDir);
    servers.push(await serveUnixSocket(createAdminApp(coordinator, { publicKey, controlUrl }), adminSocket));
    const sweep = startSweepJob(() => coordinator.sweep(), options.log);
    options.log(`coordinator ${publicKey} listening on ${control.address}; nodes join at ${controlUrl}; admin socket ${adminSocket}`);
    return {
      cryptoVariant: dataplane.variant,
      publicKey,
      controlUrl,
      adminSocket,
      async stop() {
        await sweep.stop();
        coordinator.wakeAll();
        for (const server of servers) await server.close();
        store.close();
      },
    };
  } catch (error) {
    for (const server of servers) await server.close();
    store.close();
    throw error;
  }
}

// --- a mesh node -----------------------------------------------------------------------------

export interface MeshNodeOptions {
  readonly stateDir: string;
  readonly interfaceName: string;
  readonly listenPort: number;
  readonly hostname: string;
  // Joining (or renewing): the coordinator URL and an auth key; without them, the saved ones.
  readonly coordinatorUrl?: string;
  readonly authKey?: string;
  readonly log: Log;
}

export interface RunningMeshNode {
  readonly name: string;
  readonly ipv4: string;
  readonly ipv6: string;
  readonly statusSocket: string;
  readonly stopped: Promise<void>;
  stop(): Promise<void>;
}

export function nodeStatusSocket(stateDir: string): string {
  return join(stateDir, "node.sock");
}

export async function startMeshNode(options: MeshNodeOptions): Promise<RunningMeshNode> {
  const randomSource = createSystemRandom();
  // One WASM instance serves the control channel's handshakes and the interface's packets.
  const dataplane = checkedDataplane();
  const noise: NoiseDeps = { crypto: dataplane.crypto, x25519: createFastestX25519(), random: randomSource };
  const store = openNodeStore(join(options.stateDir, "node.db"));
  const privateKey = loadOrCreateKeyFile(join(options.stateDir, "node.key"), () => clampPrivateKey(randomSource.bytes(32)));
  const identity = { privateKey, publicKey: noise.x25519.publicKey(privateKey) };
  let port = options.listenPort;
  const report = () => ({ hostname: options.hostname, endpoints: localEndpoints(port, [options.interfaceName]), listenPort: port });
  let client: ControlClient;
  let self: NetmapNode;
  let coordinatorUrl: string;
  try {
    ({ client, self, coordinatorUrl } = await joinMesh({
      store,
      identity,
      noise,
      report,
      log: options.log,
      ...(options.coordinatorUrl !== undefined ? { coordinatorUrl: options.coordinatorUrl } : {}),
      ...(options.authKey !== undefined ? { authKey: options.authKey } : {}),
    }));
  } catch (error) {
    store.close();
    throw error;
  }

  // The mesh routes: the whole 100.64.0.0/10 and the mesh's ULA /48 go into the interface.
  const ula = parseIpAddress(self.ipv6)!.bytes.slice();
  ula.fill(0, 6);
  const running = await bringUpInterface({
    dataplane,
    random: randomSource,
    name: options.interfaceName,
    privateKey,
    mtu: 1420,
    addresses: [`${self.ipv4}/32`, `${self.ipv6}/128`],
    routes: [DEFAULT_IPV4_POOL, `${formatIpAddress({ family: 6, bytes: ula })}/48`],
    routeTable: undefined,
    listenPort: options.listenPort,
    fwmark: 0,
    peers: [],
    log: options.log,
  }).catch((error: unknown) => {
    store.close();
    throw error;
  });
  port = running.listenPort;

  const apply = (netmap: Netmap | null): void => {
    const plan = reconcilePeers(netmap === null ? [] : desiredPeers(netmap), running.device.peers());
    for (const key of plan.remove) running.device.removePeer(key);
    for (const settings of plan.upsert) running.loop.apply(running.device.upsertPeer(monotonic(), settings));
  };
  const saved = store.loadNetmap();
  const initial = saved === null ? null : (JSON.parse(saved.body) as Netmap);
  apply(initial); // the last known mesh, before the coordinator answers (or if it is down)

  const agent = createNodeAgent({
    client,
    report,
    initial,
    onNetmap: (netmap) => {
      store.saveNetmap(netmap.version, JSON.stringify(netmap), Date.now());
      apply(netmap);
      options.log(`netmap ${netmap.version}: ${netmap.peers.length} peer(s)`);
    },
    onCutOff: () => apply(null),
    sleep: (ms, abort) => new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      abort.addEventListener("abort", () => (clearTimeout(timer), resolve(undefined)), { once: true });
    }),
    wallClock: Date.now,
    log: options.log,
  });
  agent.start();
  const statusSocket = nodeStatusSocket(options.stateDir);
  const api = await serveUnixSocket(
    createNodeApiApp(() => buildNodeStatus(agent.netmap, running.device.peers(), { url: coordinatorUrl, state: agent.state }, running.name, running.listenPort)),
    statusSocket,
  );
  options.log(`${self.name} is on the mesh as ${self.ipv4} / ${self.ipv6} (interface ${running.name}, UDP port ${running.listenPort})`);
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      agent.stop();
      await api.close();
      await running.stop();
      store.close();
    })());
  void running.stopped.then(stop);
  return { name: self.name, ipv4: self.ipv4, ipv6: self.ipv6, statusSocket, stopped: running.stopped, stop };
}
