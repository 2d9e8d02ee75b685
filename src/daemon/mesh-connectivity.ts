// A mesh node's connectivity, wired: the engine (src/nat/connectivity.ts, no I/O) between the
// packet loop's side channel, the node's UDP socket, the TCP relay connection to the
// coordinator, an optional UDP peer relay it offers, one timer, and what `meshgate status` and
// the coordinator are told.
//
//   packet loop ── side channel ──► take(): STUN, disco, relay frames ─► engine
//                                  route(): a peer's path endpoint ─► engine.directWireGuard,
//                                           else engine.sendWireGuard (relays)
//   engine actions ─► sendUdp: the loop's UDP sockets; sendTcpRelay: the relay connection;
//                     wireguard: loop.receive (as from the peer's path endpoint);
//                     reportChanged: the node agent reports now

import { formatEndpoint, parseIpEndpoint, type Endpoint } from "../net/endpoint.js";
import type { PacketLoop, SideChannel } from "../interface/packet-loop.js";
import { monotonicMs, schedule } from "../io/clock.js";
import { findGatewayRoute } from "../io/gateway.js";
import { createPortMapTransports } from "../io/portmap-transports.js";
import { startRelayConnection, type RelayConnection } from "../io/relay-connection.js";
import { resolveEndpoint } from "../io/resolve-endpoint.js";
import { startUdpRelay, type RunningUdpRelay } from "../io/udp-relay-socket.js";
import type { CoordinatorServices, NatFacts } from "../mesh/control-protocol.js";
import type { Netmap } from "../mesh/netmap.js";
import type { PathView, RelayView } from "../mesh/node-status.js";
import { createConnectivity, type ConnectivityAction } from "../nat/connectivity.js";
import { classifyDatagram } from "../nat/demux.js";
import type { NetcheckReport } from "../nat/netcheck.js";
import { createPeerEndpoints } from "../nat/peer-endpoints.js";
import { createPortMapper, type PortMapper } from "../nat/portmap/port-mapper.js";
import { sendDeletions, type PortMapStatus } from "../nat/portmap/port-mapping.js";
import { createRelayClient } from "../nat/relay-client.js";
import { RELAY_PATH, RELAY_UPGRADE_TOKEN } from "../nat/relay-protocol.js";
import { createUdpRelayServer, type UdpRelayServer } from "../nat/udp-relay-server.js";
import type { CryptoCore } from "../dataplane/crypto-core.js";
import type { LocalIdentity } from "../wireguard/noise.js";
import type { RandomSource } from "../wireguard/random-source.js";
import type { X25519 } from "../wireguard/x25519.js";
import type { Log } from "./interface.js";

export interface MeshConnectivityDeps {
  readonly crypto: CryptoCore;
  readonly x25519: X25519;
  readonly random: RandomSource;
  readonly identity: LocalIdentity;
  readonly coordinatorUrl: string;
  readonly coordinatorKey: Uint8Array;
  // A UDP peer relay this node offers to others (meshgate up --relay-port), or null.
  readonly relayPort: number | null;
  // Called when candidates or NAT facts changed: the node agent reports them.
  readonly onReportChanged: () => void;
  readonly log: Log;
}

export interface MeshConnectivity {
  readonly sideChannel: SideChannel;
  // The running interface's loop (the side channel exists before it does).
  attach(loop: PacketLoop, localEndpoints: () => readonly string[]): Promise<void>;
  // The endpoint the device gets for a peer (src/nat/peer-endpoints.ts).
  pathEndpointOf(peerKey: string): Endpoint;
  setNetmap(netmap: Netmap | null): void;
  setServices(services: CoordinatorServices): void;
  report(): { readonly endpoints: readonly string[]; readonly nat: NatFacts; readonly relayPort: number | null };
  pathView(peerKey: string): PathView;
  netcheck(): NetcheckReport;
  drops(): Readonly<Record<string, number>>;
  relayView(): RelayView | null;
  stop(): Promise<void>;
}

export function createMeshConnectivity(deps: MeshConnectivityDeps): MeshConnectivity {
  const engine = createConnectivity({ crypto: deps.crypto, x25519: deps.x25519, random: deps.random, self: deps.identity, log: deps.log });
  const peerEndpoints = createPeerEndpoints();
  const coordinatorHost = new URL(deps.coordinatorUrl).hostname.replace(/^\[|\]$/g, "");
  let loop: PacketLoop | null = null;
  let relay: RelayConnection | null = null;
  let peerRelay: { server: UdpRelayServer; running: RunningUdpRelay } | null = null;
  let peerKeys = new Set<string>();
  let portMapper: PortMapper | null = null;
  let portStatus: PortMapStatus | null = null;
  let cancelPortMapTimer: (() => void) | null = null;
  const transports = createPortMapTransports();
  let cancelTimer: (() => void) | null = null;
  let timerAt = Infinity;
  let stopped = false;

  function execute(actions: readonly ConnectivityAction[]): void {
    for (const action of actions) {
      switch (action.type) {
        case "sendUdp":
          loop?.udp.send([action.datagram], [action.to]);
          break;
        case "sendTcpRelay":
          relay?.send(action.to, action.datagram);
          break;
        case "wireguard":
          if (peerKeys.has(action.from)) loop?.receive(action.datagram, peerEndpoints.of(action.from));
          break;
        case "reportChanged":
          deps.onReportChanged();
          break;
        case "pathChanged":
          deps.log(`path to ${action.peer.slice(0, 8)}…: ${describe(action.path.kind, action.peer)}`);
          break;
      }
    }
    arm();
  }

  function describe(kind: string, peerKey: string): string {
    const view = pathView(peerKey);
    return kind === "none" ? "none" : view.path === "direct" ? `direct ${view.endpoint ?? ""}` : `relay ${view.relay ?? ""}`;
  }

  // One timer for the engine's next deadline, re-armed when it moves earlier.
  function arm(): void {
    if (stopped) return;
    const deadline = engine.nextDeadline();
    if (deadline === null || deadline >= timerAt) return;
    cancelTimer?.();
    timerAt = deadline;
    cancelTimer = schedule(Math.max(0, deadline - monotonicMs()), () => {
      cancelTimer = null;
      timerAt = Infinity;
      execute(engine.handleTick(monotonicMs()));
    });
  }

  const sideChannel: SideChannel = {
    take(arena, offset, length, from) {
      const kind = classifyDatagram(arena, offset, length);
      if (kind === "wireguard" || kind === "unknown") return null; // the device counts what it drops
      const now = monotonicMs();
      if (kind === "relay") {
        // WireGuard through a UDP peer relay: unwrapped in place, so it joins the device's batch.
        const relayed = engine.relayedWireGuard(now, arena.subarray(offset, offset + length), from);
        if (relayed !== null && peerKeys.has(relayed.from)) {
          arena.copyWithin(offset, offset + relayed.offset, offset + relayed.offset + relayed.length);
          arm();
          return { length: relayed.length, from: peerEndpoints.of(relayed.from) };
        }
      }
      execute(engine.handleDatagram(now, arena.slice(offset, offset + length), from));
      return "taken";
    },
    route(to, buffer, offset, length) {
      const peerKey = peerEndpoints.peerOf(to);
      if (peerKey === null) return to;
      const now = monotonicMs();
      // The common case, a direct path: the same bytes, to the path's address (nothing made).
      const direct = engine.directWireGuard(now, peerKey);
      if (direct !== null) return direct;
      const actions = engine.sendWireGuard(now, peerKey, new Uint8Array(buffer, offset, length));
      // A UDP relay: one (wrapped) datagram into the loop's batch.
      if (actions.length === 1 && actions[0]!.type === "sendUdp") return { to: actions[0]!.to, datagram: actions[0]!.datagram };
      execute(actions);
      return "taken";
    },
  };

  // Asks the gateway for a mapping of the WireGuard port (PCP, NAT-PMP, UPnP), again at the
  // mapper's deadline (renewal, the 10-minute re-check).
  async function pollPortMapper(): Promise<void> {
    if (stopped || portMapper === null) return;
    cancelPortMapTimer?.();
    cancelPortMapTimer = null;
    portStatus = await portMapper.poll(monotonicMs(), await findGatewayRoute());
    if (stopped) return;
    const mapping = portStatus.mapping;
    execute(engine.setPortMapping(monotonicMs(), mapping === null ? null : { protocol: mapping.protocol, external: mapping.externalEndpoint }));
    const deadline = portMapper.nextDeadline();
    if (deadline !== null) cancelPortMapTimer = schedule(Math.max(0, deadline - monotonicMs()), () => void pollPortMapper());
  }

  function pathView(peerKey: string): PathView {
    const { path, reason, relayName } = engine.peerPath(peerKey);
    switch (path.kind) {
      case "direct":
        return { path: "direct", endpoint: formatEndpoint(path.endpoint), relay: null, rttMs: path.rttMs, pathReason: null };
      case "unconfirmed":
        return { path: "direct", endpoint: formatEndpoint(path.endpoint), relay: null, rttMs: null, pathReason: reason };
      case "udp-relay":
        return { path: "relay", endpoint: null, relay: `udp ${formatEndpoint(path.relay)}${relayName === null ? "" : ` (${relayName})`}`, rttMs: null, pathReason: reason };
      case "tcp-relay":
        return { path: "relay", endpoint: null, relay: `tcp ${deps.coordinatorUrl}`, rttMs: relay?.status().rttMs ?? null, pathReason: reason };
      case "none":
        return { path: "none", endpoint: null, relay: null, rttMs: null, pathReason: reason };
    }
  }

  return {
    sideChannel,

    async attach(attached, localEndpoints) {
      loop = attached;
      const now = monotonicMs();
      execute(engine.setLocalEndpoints(now, localEndpoints().map(parseIpEndpoint).filter((e): e is Endpoint => e !== null)));
      relay = startRelayConnection({
        core: createRelayClient({ identity: deps.identity, serverKey: deps.coordinatorKey, x25519: deps.x25519, random: deps.random }),
        url: deps.coordinatorUrl,
        path: RELAY_PATH,
        token: RELAY_UPGRADE_TOKEN,
        now: monotonicMs,
        onPacket: (from, packet) => execute(engine.handleTcpRelayPacket(monotonicMs(), from, packet)),
        onStatus: (status) => execute(engine.setTcpRelayReady(monotonicMs(), status.phase === "ready")),
        log: deps.log,
      });
      portMapper = createPortMapper({ localPort: attached.udp.port, transports, random: deps.random });
      void pollPortMapper().catch((error: Error) => deps.log(`port mapping: ${error.message}`));
      if (deps.relayPort !== null) {
        const server = createUdpRelayServer({
          identity: deps.identity,
          x25519: deps.x25519,
          random: deps.random,
          isAllowed: (nodeKey) => peerKeys.has(Buffer.from(nodeKey).toString("base64")),
          log: deps.log,
          createdAt: monotonicMs(),
        });
        peerRelay = { server, running: await startUdpRelay(deps.relayPort, { core: server, now: monotonicMs, log: deps.log }) };
        deps.log(`relaying UDP for peers on port ${peerRelay.running.port}`);
      }
    },

    pathEndpointOf: (peerKey) => peerEndpoints.of(peerKey),

    setNetmap(netmap) {
      const peers = netmap?.peers ?? [];
      const next = new Set(peers.map((peer) => peer.nodeKey));
      for (const key of peerKeys) if (!next.has(key)) peerEndpoints.forget(key);
      peerKeys = next;
      peerRelay?.server.revalidate();
      execute(
        engine.setPeers(
          monotonicMs(),
          peers.map((peer) => ({
            nodeKey: peer.nodeKey,
            name: peer.name,
            endpoints: peer.endpoints,
            mappingVariesByDestination: peer.nat?.mappingVariesByDestination ?? null,
            relayPort: peer.relayPort,
          })),
        ),
      );
    },

    setServices(services) {
      // STUN at the host the coordinator is reached at; a name is resolved once per report.
      void Promise.all(services.stunPorts.map((port) => resolveEndpoint({ host: coordinatorHost, port })))
        .then((servers) => execute(engine.setStunServers(monotonicMs(), servers)))
        .catch((error: Error) => deps.log(`STUN: ${error.message}`));
    },

    report: () => ({ endpoints: engine.candidates().map(formatEndpoint), nat: engine.natFacts(), relayPort: peerRelay?.running.port ?? null }),

    pathView,

    netcheck: () => engine.netcheck([{ url: deps.coordinatorUrl, rttMs: relay?.status().rttMs ?? null }], portStatus?.answered ?? null),

    drops: () => engine.drops(),

    relayView() {
      if (relay === null) return null;
      const status = relay.status();
      return {
        url: deps.coordinatorUrl,
        phase: status.phase,
        text: status.text,
        rttMs: status.rttMs,
        packetsSent: status.counters.packetsSent,
        packetsReceived: status.counters.packetsReceived,
      };
    },

    async stop() {
      stopped = true;
      cancelTimer?.();
      cancelPortMapTimer?.();
      if (portMapper !== null) await sendDeletions(transports, portMapper.stop()).catch(() => undefined);
      relay?.stop();
      await peerRelay?.running.close();
    },
  };
}
