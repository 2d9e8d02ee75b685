// A coordinator in memory for tests: a real store in a temporary directory, the coordinator's
// parts composed as the daemon composes them (src/daemon/coordinator.ts), the control app
// served through app.request() (no port), fake clocks, seeded randomness, and control clients
// whose fetch is the app. Each client gets a source address of its own (the daemon reads it
// from the TCP socket; here the test-only header x-test-source carries it).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCryptoCore } from "../../src/dataplane/crypto-core.js";
import { compileCryptoWasm } from "../../src/dataplane/crypto-wasm.js";
import { composeCoordinator, type CoordinatorParts } from "../../src/daemon/coordinator.js";
import { schedule } from "../../src/io/clock.js";
import { parsePool } from "../../src/mesh/address-allocator.js";
import { createAdminApp } from "../../src/mesh/admin-http.js";
import type { AdminOperations } from "../../src/mesh/admin-operations.js";
import type { ChannelCrypto } from "../../src/mesh/control-channel.js";
import { createControlClient, type ControlClient } from "../../src/mesh/control-client.js";
import type { CoordinatorServices } from "../../src/mesh/control-protocol.js";
import { DEFAULT_COORDINATOR_SETTINGS, type CoordinatorSettings } from "../../src/mesh/coordinator.js";
import type { ControlLimits } from "../../src/mesh/coordinator-http.js";
import type { NetmapLogLimits } from "../../src/mesh/netmap-log.js";
import { openCoordinatorStore, type CoordinatorStore } from "../../src/store/coordinator-store.js";
import type { LocalIdentity } from "../../src/wireguard/noise.js";
import { clampPrivateKey, createFastestX25519, type X25519 } from "../../src/wireguard/x25519.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

export const CONTROL_URL = "http://coordinator.test";
export const SOURCE_HEADER = "x-test-source";

export interface FixtureOptions {
  readonly settings?: Partial<CoordinatorSettings>;
  readonly limits?: Partial<ControlLimits>;
  readonly netmapLogLimits?: NetmapLogLimits;
  // The coordinator's X25519 (a test may count its calls); the clients use the real one.
  readonly coordinatorX25519?: X25519;
  readonly services?: CoordinatorServices;
}

export class CoordinatorFixture {
  readonly dir = mkdtempSync(join(tmpdir(), "meshgate-coordinator-test-"));
  readonly store: CoordinatorStore;
  readonly noise: ChannelCrypto;
  readonly identity: LocalIdentity;
  readonly parts: CoordinatorParts;
  readonly coordinator: AdminOperations;
  readonly app;
  readonly admin;
  readonly logs: string[] = [];
  wallClock = Date.UTC(2026, 5, 1);
  monotonic = 1000;
  private seed = 100;
  private sources = 0;

  constructor(fixtureOptions: FixtureOptions = {}) {
    const random = createSeededRandom(42);
    this.noise = { crypto: createCryptoCore(compileCryptoWasm("release")), x25519: createFastestX25519(), random };
    this.identity = this.newIdentity();
    this.store = openCoordinatorStore(join(this.dir, "coordinator.db"));
    this.parts = composeCoordinator({
      store: this.store,
      identity: this.identity,
      noise: { ...this.noise, x25519: fixtureOptions.coordinatorX25519 ?? this.noise.x25519 },
      pool: parsePool("100.64.0.0/10", "fd00:1:2::/48"),
      wallClock: () => this.wallClock,
      monotonic: () => this.monotonic,
      schedule,
      settings: { ...DEFAULT_COORDINATOR_SETTINGS, pollTimeoutMs: 50, routerPollTimeoutMs: 50, ...fixtureOptions.settings },
      log: (line) => this.logs.push(line),
      sourceOf: (c) => c.req.header(SOURCE_HEADER) ?? null,
      ...(fixtureOptions.limits !== undefined ? { limits: fixtureOptions.limits } : {}),
      ...(fixtureOptions.netmapLogLimits !== undefined ? { netmapLogLimits: fixtureOptions.netmapLogLimits } : {}),
      ...(fixtureOptions.services !== undefined ? { services: fixtureOptions.services } : {}),
    });
    this.coordinator = this.parts.admin;
    this.app = this.parts.control.app;
    this.admin = createAdminApp(this.parts.admin, { publicKey: Buffer.from(this.identity.publicKey).toString("base64"), controlUrl: CONTROL_URL });
  }

  newIdentity(): LocalIdentity {
    const privateKey = clampPrivateKey(createSeededRandom(this.seed++).bytes(32));
    return { privateKey, publicKey: this.noise.x25519.publicKey(privateKey) };
  }

  // A source address no other client of this fixture uses.
  newSource(): string {
    const n = ++this.sources;
    return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  }

  // The app, as seen from `source` (a request without it comes from an unknown source).
  fetchFrom(source: string | null): typeof fetch {
    return async (input, init) => {
      const headers = new Headers(init?.headers);
      if (source !== null) headers.set(SOURCE_HEADER, source);
      return this.app.request(input as string, { ...init, headers } as RequestInit);
    };
  }

  fetch: typeof fetch = async (input, init) => this.app.request(input as string, init as RequestInit);

  // `fetch` may route elsewhere (an impostor on the path); by default, to the app from a new source.
  client(identity: LocalIdentity = this.newIdentity(), coordinatorKey: Uint8Array = this.identity.publicKey, fetch: typeof globalThis.fetch = this.fetchFrom(this.newSource())): ControlClient {
    return createControlClient({
      coordinatorUrl: CONTROL_URL,
      coordinatorKey,
      identity,
      noise: this.noise,
      fetch,
      wallClock: () => this.wallClock,
      now: () => this.monotonic,
    });
  }

  // Runs the sweep and the control server's housekeeping (the daemon's 5-second tick).
  tick(): void {
    this.parts.tick();
  }

  // The daemon's one-second routers' check (a subnet's primary moves off a dead router).
  checkRouters(): void {
    this.parts.checkRouters();
  }

  key(options: { reusable?: boolean; expiresInMs?: number | null } = {}): string {
    return this.coordinator.createAuthKey({ reusable: options.reusable ?? false, ephemeral: false, expiresInMs: options.expiresInMs ?? null, description: "", user: "admin" }).key;
  }

  close(): void {
    this.parts.publisher.stop();
    this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export const report = { hostname: "laptop", endpoints: ["192.0.2.10:41641"], listenPort: 41641 };
