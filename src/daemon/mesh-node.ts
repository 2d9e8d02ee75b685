// Composition root of a mesh node: its key and store, joining (or coming back to) the mesh,
// the WireGuard interface, the node agent that follows the coordinator's netmap, and the local
// status API `meshgate status` reads.

import { join } from "node:path";
import { monotonicMs, wallClockMs } from "../io/clock.js";
import { serveUnixSocket } from "../io/http-server.js";
import { localEndpoints } from "../io/local-addresses.js";
import { ensurePrivateDirectory } from "../io/private-files.js";
import { createSystemRandom } from "../io/system-random.js";
import { DEFAULT_IPV4_POOL } from "../mesh/address-allocator.js";
import type { ChannelCrypto } from "../mesh/control-channel.js";
import type { ControlClient } from "../mesh/control-client.js";
import { desiredPeers, reconcilePeers } from "../mesh/desired-peers.js";
import type { Netmap, NetmapNode } from "../mesh/netmap.js";
import { joinMesh } from "../mesh/join.js";
import { createNodeAgent, type NodeAgent } from "../mesh/node-agent.js";
import { createNodeApiApp, type NodeDevices } from "../mesh/node-api-http.js";
import { encodeKey } from "../wireguard/key-base64.js";
import { createMeshDevices, deviceEndpoint } from "./mesh-devices.js";
import { buildNodeStatus, type NodeStatus } from "../mesh/node-status.js";
import type { RoutingPrefs, RoutingPrefsChange } from "../mesh/routing-prefs.js";
import type { HistoryRange, TrafficHistory } from "../admin/admin-api.js";
import { startTrafficSampler } from "../jobs/traffic-sampler.js";
import { createTrafficHistory } from "../traffic/traffic-history.js";
import { formatIpAddress, parseIpAddress, parseIpPrefix } from "../net/ip-prefix.js";
import { loadOrCreateKeyFile } from "../store/key-file.js";
import { openNodeStore } from "../store/node-store.js";
import { clampPrivateKey, createFastestX25519 } from "../wireguard/x25519.js";
import { checkedDataplane } from "./checked-dataplane.js";
import { bringUpInterface, type Log } from "./interface.js";
import { createMeshConnectivity } from "./mesh-connectivity.js";
import { createMeshRouting, MESH_FWMARK } from "./mesh-routing.js";
import { createSubnetForwarding, hostForwards, setSourceValidMark } from "./subnet-forwarding.js";

export interface MeshNodeOptions {
  readonly stateDir: string;
  readonly interfaceName: string;
  readonly listenPort: number;
  readonly hostname: string;
  // Joining (or renewing): the coordinator URL and an auth key; without them, the saved ones.
  readonly coordinatorUrl?: string;
  readonly authKey?: string;
  // Use the auth key only if this node has not joined that coordinator yet (src/mesh/join.ts).
  readonly enrollOnly?: boolean;
  // Relay UDP for other nodes on this port (meshgate up --relay-port); absent: no relay.
  readonly relayPort?: number;
  // Routing flags given to `meshgate up` (over the saved ones; src/mesh/routing-prefs.ts).
  readonly routing?: RoutingPrefsChange;
  readonly log: Log;
}

export interface RunningMeshNode {
  readonly name: string;
  readonly ipv4: string;
  readonly ipv6: string;
  readonly statusSocket: string;
  // What `meshgate status` and `meshgate set` reach through statusSocket, in process (the admin page).
  status(): NodeStatus;
  changeRouting(change: RoutingPrefsChange): Promise<RoutingPrefs>;
  // Each peer's traffic over a range, from the samples the node keeps (the admin page's charts).
  history(range: HistoryRange): TrafficHistory;
  // Devices without meshgate (phones) this node hosts.
  readonly devices: NodeDevices;
  readonly stopped: Promise<void>;
  stop(): Promise<void>;
}

export function nodeStatusSocket(stateDir: string): string {
  return join(stateDir, "node.sock");
}

export async function startMeshNode(options: MeshNodeOptions): Promise<RunningMeshNode> {
  ensurePrivateDirectory(options.stateDir);
  const randomSource = createSystemRandom();
  // One WASM instance serves the control channel's handshakes and the interface's packets.
  const dataplane = checkedDataplane();
  const noise: ChannelCrypto = { crypto: dataplane.crypto, x25519: createFastestX25519(), random: randomSource };
  const store = openNodeStore(join(options.stateDir, "node.db"));
  const privateKey = loadOrCreateKeyFile(join(options.stateDir, "node.key"), () => clampPrivateKey(randomSource.bytes(32)));
  const identity = { privateKey, publicKey: noise.x25519.publicKey(privateKey) };
  let port = options.listenPort;
  const report = () => ({ hostname: options.hostname, endpoints: localEndpoints(port, [options.interfaceName]), listenPort: port });
  let client: ControlClient;
  let self: NetmapNode;
  let coordinatorUrl: string;
  let coordinatorKey: Uint8Array;
  try {
    ({ client, self, coordinatorUrl, coordinatorKey } = await joinMesh({
      store,
      identity,
      noise,
      report,
      log: options.log,
      fetch,
      wallClock: wallClockMs,
      now: monotonicMs,
      ...(options.coordinatorUrl !== undefined ? { coordinatorUrl: options.coordinatorUrl } : {}),
      ...(options.authKey !== undefined ? { authKey: options.authKey } : {}),
      ...(options.enrollOnly === true ? { enrollOnly: true } : {}),
    }));
  } catch (error) {
    store.close();
    throw error;
  }

  // NAT traversal: STUN, path discovery, the relays. The agent it reports through comes later.
  let agent: NodeAgent | null = null;
  const connectivity = createMeshConnectivity({
    crypto: dataplane.crypto,
    x25519: noise.x25519,
    random: randomSource,
    identity,
    coordinatorUrl,
    coordinatorKey,
    relayPort: options.relayPort ?? null,
    onReportChanged: () => agent?.reportChanged(),
    log: options.log,
  });

  // The mesh routes: the whole 100.64.0.0/10 and the mesh's ULA /48 go into the interface.
  const ula = parseIpAddress(self.ipv6)!.bytes.slice();
  ula.fill(0, 6);
  const meshRanges = [DEFAULT_IPV4_POOL, `${formatIpAddress({ family: 6, bytes: ula })}/48`];
  const routing = createMeshRouting({
    store,
    interfaceName: options.interfaceName,
    meshRanges: meshRanges.map((range) => parseIpPrefix(range)!),
    coordinatorUrl,
    forwarding: () => createSubnetForwarding(options.interfaceName, options.log),
    hostForwards,
    setSourceValidMark,
    log: options.log,
  });
  const running = await bringUpInterface({
    dataplane,
    random: randomSource,
    name: options.interfaceName,
    privateKey,
    mtu: 1420,
    addresses: [`${self.ipv4}/32`, `${self.ipv6}/128`],
    routes: meshRanges,
    routeTable: undefined,
    listenPort: options.listenPort,
    // Marked so that with an exit node in use, WireGuard, STUN and relay datagrams still take
    // the real network (src/router/policy-routing.ts).
    fwmark: MESH_FWMARK,
    peers: [],
    sideChannel: connectivity.sideChannel,
    log: options.log,
  }).catch((error: unknown) => {
    store.close();
    throw error;
  });
  port = running.listenPort;
  await connectivity.attach(running.loop, () => localEndpoints(port, [options.interfaceName])).catch(async (error: unknown) => {
    await running.stop();
    store.close();
    throw error;
  });

  // Peers get their path endpoint (the path layer routes them) and the routes this node uses
  // through them; the path layer gets the map; the kernel and nftables follow (asynchronously).
  const apply = (netmap: Netmap | null): Promise<void> => {
    const selection = routing.select(netmap);
    const plan = reconcilePeers(netmap === null ? [] : desiredPeers(netmap, selection.peerRoutes), running.device.peers(), connectivity.pathEndpointOf);
    for (const key of plan.remove) running.device.removePeer(key);
    for (const settings of plan.upsert) running.loop.apply(running.device.upsertPeer(monotonicMs(), settings));
    connectivity.setNetmap(netmap);
    return routing.sync(netmap);
  };
  const saved = store.loadNetmap();
  const initial = saved === null ? null : (JSON.parse(saved.body) as Netmap);
  let current = initial;
  const failStart = async (error: unknown): Promise<never> => {
    await routing.stop();
    await connectivity.stop();
    await running.stop();
    store.close();
    throw error;
  };
  // The routing flags of `meshgate up`, checked and applied before the node counts as up.
  if (options.routing !== undefined && Object.keys(options.routing).length > 0) {
    await routing.change(options.routing, () => apply(current)).catch(failStart);
  } else {
    await apply(initial); // the last known mesh, before the coordinator answers (or if it is down)
  }

  const nodeAgent = createNodeAgent({
    client,
    // What peers need to reach this node: the path layer's candidates, not only local addresses.
    report: () => ({ hostname: options.hostname, listenPort: port, ...connectivity.report(), routes: routing.reportedRoutes() }),
    initial,
    onNetmap: (netmap) => {
      store.saveNetmap(netmap.version, JSON.stringify(netmap), wallClockMs());
      current = netmap;
      void apply(netmap);
      options.log(`netmap ${netmap.version}: ${netmap.peers.length} peer(s)`);
    },
    onCutOff: () => {
      current = null;
      void apply(null);
    },
    onServices: (services) => connectivity.setServices(services),
    sleep: (ms, abort) => new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      abort.addEventListener("abort", () => (clearTimeout(timer), resolve(undefined)), { once: true });
    }),
    wallClock: wallClockMs,
    log: options.log,
  });
  agent = nodeAgent;
  nodeAgent.start();
  const statusSocket = nodeStatusSocket(options.stateDir);
  const status = (): NodeStatus =>
    buildNodeStatus(nodeAgent.netmap, running.device.peers(), { url: coordinatorUrl, state: nodeAgent.state }, running.name, running.listenPort, connectivity.pathView, {
      ...running.device.drops(),
      ...connectivity.drops(),
    }, connectivity.relayView(), routing.view(nodeAgent.netmap));
  const changeRouting = async (change: RoutingPrefsChange): Promise<RoutingPrefs> => {
    const prefs = await routing.change(change, () => apply(current));
    nodeAgent.reportChanged(); // the advertised routes are in the report
    return prefs;
  };
  const devices = createMeshDevices({
    client,
    x25519: noise.x25519,
    random: randomSource,
    hostPublicKey: encodeKey(identity.publicKey),
    netmap: () => nodeAgent.netmap,
    devicePeers: () => running.device.peers(),
    hostEndpoint: () => deviceEndpoint(connectivity.report(), localEndpoints(port, [options.interfaceName])),
    meshRanges,
    log: options.log,
    settle: async (done, limitMs) => {
      for (const deadline = monotonicMs() + limitMs; !done() && monotonicMs() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 50));
    },
  });
  const api = await serveUnixSocket(
    createNodeApiApp({ status, netcheck: () => connectivity.netcheck(), changePrefs: changeRouting, devices }),
    statusSocket,
  );
  // Every 10 s, each known peer's byte counters (a peer the device has no entry for has none).
  const traffic = createTrafficHistory(store);
  const names = (): Map<string, string> => new Map((nodeAgent.netmap?.peers ?? []).map((peer) => [peer.nodeKey, peer.name]));
  const sampler = startTrafficSampler({
    history: traffic,
    log: options.log,
    sample: () => {
      const known = names();
      return {
        at: wallClockMs(),
        peers: running.device.peers().flatMap((peer) => {
          const key = Buffer.from(peer.publicKey).toString("base64");
          const name = known.get(key);
          return name === undefined ? [] : [{ key, name, rxBytes: peer.rxBytes, txBytes: peer.txBytes }];
        }),
      };
    },
  });
  options.log(`${self.name} is on the mesh as ${self.ipv4} / ${self.ipv6} (interface ${running.name}, UDP port ${running.listenPort})`);
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      nodeAgent.stop();
      await sampler.stop();
      await api.close();
      await routing.stop();
      await connectivity.stop();
      await running.stop();
      store.close();
    })());
  void running.stopped.then(stop);
  const history = (range: HistoryRange): TrafficHistory => traffic.history(range, wallClockMs());
  return { name: self.name, ipv4: self.ipv4, ipv6: self.ipv6, statusSocket, status, changeRouting, history, devices, stopped: running.stopped, stop };
}
