// Composition root of a mesh coordinator: its key and store, the control API for nodes (HTTP),
// the TCP relay on the same port (an HTTP upgrade), the admin API for the CLI (a unix socket
// only root can open), and the sweep job.
// composeCoordinator wires the parts of src/mesh (see src/mesh/coordinator.ts) around a store;
// startCoordinator adds the edges: files, sockets, clocks, timers.

import { join } from "node:path";
import { getConnInfo } from "@hono/node-server/conninfo";
import type { ServerResponse } from "node:http";
import type { Context } from "hono";
import { monotonicMs, schedule, wallClockMs } from "../io/clock.js";
import { serveTcp, serveUnixSocket, type RunningServer } from "../io/http-server.js";
import { createRelayUpgrade } from "../io/relay-upgrade.js";
import { localEndpoints } from "../io/local-addresses.js";
import { ensurePrivateDirectory } from "../io/private-files.js";
import { startStunServer, type RunningStunServer } from "../io/stun-server.js";
import { createSystemRandom } from "../io/system-random.js";
import { startSweepJob } from "../jobs/coordinator-sweep.js";
import { generateUlaPrefix, parsePool, DEFAULT_IPV4_POOL, type AddressPool } from "../mesh/address-allocator.js";
import { createAdminApp } from "../mesh/admin-http.js";
import { createAdminOperations, type AdminOperations } from "../mesh/admin-operations.js";
import { applyChangedAutoApprovePolicy } from "../mesh/auto-approve.js";
import { createCoordinatorChannel, type ChannelCrypto } from "../mesh/control-channel.js";
import { createControlService, type ControlService } from "../mesh/control-service.js";
import type { CoordinatorServices } from "../mesh/control-protocol.js";
import { DEFAULT_COORDINATOR_SETTINGS, isKeyExpired, type CoordinatorSettings } from "../mesh/coordinator.js";
import { createControlServer, type ControlLimits, type ControlServer } from "../mesh/coordinator-http.js";
import { createNetmapPublisher, type NetmapPublisher } from "../mesh/netmap-publisher.js";
import type { NetmapLogLimits } from "../mesh/netmap-log.js";
import { createPresence } from "../mesh/presence.js";
import { createRouteTable } from "../mesh/route-table.js";
import { createSweep, ROUTER_CHECK_INTERVAL_MS, type Sweep } from "../mesh/sweep.js";
import { RELAY_PATH, RELAY_UPGRADE_TOKEN } from "../nat/relay-protocol.js";
import { createRelayServer, RELAY_SERVER_TICK_MS, type RelayServer } from "../nat/relay-server.js";
import { respondToStun } from "../nat/stun-responder.js";
import { formatIpAddress } from "../net/ip-prefix.js";
import { openCoordinatorStore, type CoordinatorStore } from "../store/coordinator-store.js";
import { loadOrCreateKeyFile } from "../store/key-file.js";
import type { LocalIdentity } from "../wireguard/noise.js";
import { clampPrivateKey, createFastestX25519 } from "../wireguard/x25519.js";
import { checkedDataplane } from "./checked-dataplane.js";
import type { Log } from "./interface.js";

export interface CoordinatorOptions {
  readonly stateDir: string;
  readonly listenHost: string;
  readonly listenPort: number;
  // The URL nodes use (printed in join commands); by default http://<first LAN address>:<port>.
  readonly advertiseUrl?: string;
  readonly settings?: Partial<CoordinatorSettings>;
  // STUN on UDP ports stunPort and stunPort + 1 of listenHost (src/nat/README.md); absent or 0: none.
  readonly stunPort?: number;
  readonly log: Log;
}

export interface RunningCoordinator {
  // Which WASM build runs (it passed its self-test).
  readonly cryptoVariant: string;
  readonly publicKey: string;
  readonly controlUrl: string;
  readonly adminSocket: string;
  // "host:port" of each STUN socket; empty without STUN.
  readonly stunEndpoints: readonly string[];
  // What admins do, in process (the admin page); the CLI reaches the same through adminSocket.
  readonly admin: AdminOperations;
  stop(): Promise<void>;
}

export function coordinatorAdminSocket(stateDir: string): string {
  return join(stateDir, "admin.sock");
}

export interface CoordinatorParts {
  readonly service: ControlService;
  readonly admin: AdminOperations;
  readonly sweep: Sweep;
  readonly publisher: NetmapPublisher;
  readonly control: ControlServer;
  // The TCP relay's core (src/io/relay-upgrade.ts serves it on the control port).
  readonly relay: RelayServer;
  // The sweep's tick: what time changed, then the control server's housekeeping.
  tick(): void;
  // The routers' check, every ROUTER_CHECK_INTERVAL_MS: a subnet's primary moves off a dead router.
  checkRouters(): void;
  // Last tick (saves the last-seen times), then no more changes; waiting polls wake.
  stop(): void;
}

export interface CoordinatorPartsDeps {
  readonly store: CoordinatorStore;
  readonly identity: LocalIdentity;
  readonly noise: ChannelCrypto;
  readonly pool: AddressPool;
  readonly wallClock: () => number;
  readonly monotonic: () => number;
  readonly schedule: (delayMs: number, run: () => void) => () => void;
  readonly settings: CoordinatorSettings;
  readonly log: (line: string) => void;
  readonly sourceOf: (c: Context) => string | null;
  readonly onClientGone?: (c: Context, listener: () => void) => () => void;
  readonly limits?: Partial<ControlLimits>;
  readonly netmapLogLimits?: NetmapLogLimits;
  // STUN ports and the TCP relay, told to nodes (default: none).
  readonly services?: CoordinatorServices;
}

// The coordinator's parts around its store (no files, sockets or timers of its own): the
// tests build exactly this, with fake clocks, and serve its apps through app.request().
export function composeCoordinator(deps: CoordinatorPartsDeps): CoordinatorParts {
  const context = {
    store: deps.store,
    publicKey: deps.identity.publicKey,
    pool: deps.pool,
    random: deps.noise.random,
    now: deps.wallClock,
    schedule: deps.schedule,
    settings: deps.settings,
    log: deps.log,
  };
  const approved = applyChangedAutoApprovePolicy(context);
  if (approved > 0) deps.log(`the auto-approve policy changed: approved ${approved} advertised route${approved === 1 ? "" : "s"} it now covers`);
  const presence = createPresence(deps.settings.onlineWindowMs, deps.store.nodes.list().map((node) => [node.id, node.lastSeenAt] as const));
  const routes = createRouteTable(context, presence);
  const publisher = createNetmapPublisher(context, presence, routes, deps.netmapLogLimits);
  const service = createControlService(context, publisher, presence, routes);
  const control = createControlServer({
    service,
    channel: createCoordinatorChannel(deps.noise, deps.identity),
    random: deps.noise.random,
    now: deps.monotonic,
    sourceOf: deps.sourceOf,
    ...(deps.onClientGone !== undefined ? { onClientGone: deps.onClientGone } : {}),
    log: deps.log,
    ...(deps.limits !== undefined ? { limits: deps.limits } : {}),
    ...(deps.services !== undefined ? { services: deps.services } : {}),
  });
  // Registered, unexpired nodes may use the relay; it asks again every 5 s (expiry) and at its
  // next tick after a node is removed.
  const relay = createRelayServer({
    identity: deps.identity,
    x25519: deps.noise.x25519,
    random: deps.noise.random,
    isAllowed: (nodeKey) => {
      const node = deps.store.nodes.byKey(Buffer.from(nodeKey).toString("base64"));
      return node !== null && !isKeyExpired(node, deps.wallClock());
    },
    log: deps.log,
  });
  publisher.onNodeGone((nodeKey) => {
    control.nodeGone(nodeKey);
    relay.revalidate();
  });
  const sweep = createSweep(context, publisher, presence, routes);
  return {
    service,
    admin: createAdminOperations(context, publisher, presence, routes),
    sweep,
    publisher,
    control,
    relay,
    tick() {
      sweep.run();
      control.tick();
    },
    checkRouters: () => sweep.checkRouters(),
    stop() {
      sweep.run();
      publisher.stop();
    },
  };
}

// The node response of a request served by @hono/node-server: "close" before the answer means
// the client went away.
function onClientGone(c: Context, listener: () => void): () => void {
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (outgoing === undefined) {
    const signal = c.req.raw.signal;
    signal.addEventListener("abort", listener);
    return () => signal.removeEventListener("abort", listener);
  }
  if (outgoing.destroyed) queueMicrotask(listener);
  outgoing.once("close", listener);
  return () => void outgoing.off("close", listener);
}

// The TCP peer of a request served by @hono/node-server (never a header: anyone can write one).
function tcpPeer(c: Context): string | null {
  try {
    return getConnInfo(c).remote.address ?? null;
  } catch {
    return null;
  }
}

export async function startCoordinator(options: CoordinatorOptions): Promise<RunningCoordinator> {
  ensurePrivateDirectory(options.stateDir);
  const randomSource = createSystemRandom();
  const dataplane = checkedDataplane();
  const noise: ChannelCrypto = { crypto: dataplane.crypto, x25519: createFastestX25519(), random: randomSource };
  const privateKey = loadOrCreateKeyFile(join(options.stateDir, "coordinator.key"), () => clampPrivateKey(randomSource.bytes(32)));
  const identity = { privateKey, publicKey: noise.x25519.publicKey(privateKey) };
  const store = openCoordinatorStore(join(options.stateDir, "coordinator.db"));
  let ipv6Prefix = store.getMeta("ipv6_prefix");
  if (ipv6Prefix === null) {
    const prefix = generateUlaPrefix(randomSource);
    ipv6Prefix = `${formatIpAddress({ family: 6, bytes: prefix.address })}/48`;
    store.setMeta("ipv6_prefix", ipv6Prefix);
  }
  const servers: RunningServer[] = [];
  let stun: RunningStunServer | null = null;
  try {
    const parts = composeCoordinator({
      store,
      identity,
      noise,
      pool: parsePool(DEFAULT_IPV4_POOL, ipv6Prefix),
      wallClock: wallClockMs,
      monotonic: monotonicMs,
      schedule,
      settings: { ...DEFAULT_COORDINATOR_SETTINGS, ...options.settings },
      log: options.log,
      sourceOf: tcpPeer,
      onClientGone,
      // Nodes reach STUN at the host they reach control at (the bound address may be a wildcard).
      services: { stunPorts: options.stunPort ? [options.stunPort, options.stunPort + 1] : [], relay: true },
    });
    const relay = createRelayUpgrade({ core: parts.relay, path: RELAY_PATH, token: RELAY_UPGRADE_TOKEN, now: monotonicMs, tickMs: RELAY_SERVER_TICK_MS });
    const control = await serveTcp(parts.control.app, options.listenHost, options.listenPort, relay);
    servers.push(control);
    const port = Number(control.address.split(":").at(-1));
    // A specific listen address is where nodes must come; a wildcard one, the first LAN address.
    const wildcard = options.listenHost === "0.0.0.0" || options.listenHost === "::";
    const lan = localEndpoints(port, []).find((endpoint) => !endpoint.startsWith("["));
    const listened = options.listenHost.includes(":") ? `[${options.listenHost}]:${port}` : `${options.listenHost}:${port}`;
    const controlUrl = options.advertiseUrl ?? `http://${wildcard ? (lan ?? `127.0.0.1:${port}`) : listened}`;
    const publicKey = Buffer.from(identity.publicKey).toString("base64");
    const adminSocket = coordinatorAdminSocket(options.stateDir);
    servers.push(await serveUnixSocket(createAdminApp(parts.admin, { publicKey, controlUrl }), adminSocket));
    if (options.stunPort !== undefined && options.stunPort !== 0) {
      stun = await startStunServer({ host: options.listenHost, ports: [options.stunPort, options.stunPort + 1], respond: respondToStun, log: options.log });
    }
    const stunEndpoints = stun?.endpoints ?? [];
    const sweep = startSweepJob(() => parts.tick(), options.log);
    // Every second, not on the sweep's 5 s schedule: a dead router's subnets must move within 20 s.
    const routerCheck = setInterval(() => {
      try {
        parts.checkRouters();
      } catch (error) {
        options.log(`router check failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }, ROUTER_CHECK_INTERVAL_MS);
    options.log(`coordinator ${publicKey} listening on ${control.address}; nodes join at ${controlUrl}; admin socket ${adminSocket}; STUN ${stunEndpoints.join(" ") || "off"}`);
    return {
      cryptoVariant: dataplane.variant,
      publicKey,
      controlUrl,
      adminSocket,
      stunEndpoints,
      admin: parts.admin,
      async stop() {
        clearInterval(routerCheck);
        await sweep.stop();
        parts.stop();
        await stun?.close();
        for (const server of servers) await server.close();
        store.close();
      },
    };
  } catch (error) {
    await stun?.close();
    for (const server of servers) await server.close();
    store.close();
    throw error;
  }
}
