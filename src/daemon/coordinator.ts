// Composition root of a mesh coordinator: its key and store, the control API for nodes (HTTP),
// the admin API for the CLI (a unix socket only root can open), and the sweep job.

import { join } from "node:path";
import { monotonicMs, schedule, wallClockMs } from "../io/clock.js";
import { serveTcp, serveUnixSocket, type RunningServer } from "../io/http-server.js";
import { localEndpoints } from "../io/local-addresses.js";
import { ensurePrivateDirectory } from "../io/private-files.js";
import { createSystemRandom } from "../io/system-random.js";
import { startSweepJob } from "../jobs/coordinator-sweep.js";
import { generateUlaPrefix, parsePool, DEFAULT_IPV4_POOL } from "../mesh/address-allocator.js";
import { createAdminApp } from "../mesh/admin-http.js";
import { createCoordinatorChannel, type ChannelCrypto } from "../mesh/control-channel.js";
import { createCoordinator, DEFAULT_COORDINATOR_SETTINGS, type CoordinatorSettings } from "../mesh/coordinator.js";
import { createControlApp } from "../mesh/coordinator-http.js";
import { formatIpAddress } from "../net/ip-prefix.js";
import { openCoordinatorStore } from "../store/coordinator-store.js";
import { loadOrCreateKeyFile } from "../store/key-file.js";
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

export function coordinatorAdminSocket(stateDir: string): string {
  return join(stateDir, "admin.sock");
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
  const coordinator = createCoordinator({
    store,
    publicKey: identity.publicKey,
    pool: parsePool(DEFAULT_IPV4_POOL, ipv6Prefix),
    random: randomSource,
    now: wallClockMs,
    schedule,
    settings: { ...DEFAULT_COORDINATOR_SETTINGS, ...options.settings },
    log: options.log,
  });
  const servers: RunningServer[] = [];
  try {
    const control = await serveTcp(createControlApp({ coordinator, channel: createCoordinatorChannel(noise, identity), now: monotonicMs, log: options.log }), options.listenHost, options.listenPort);
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
