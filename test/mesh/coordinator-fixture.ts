// A coordinator in memory for tests: a real store in a temporary directory, the real control
// app served through app.request() (no port), a fake wall clock, seeded randomness, and
// control clients whose fetch is the app.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCryptoCore } from "../../src/dataplane/crypto-core.js";
import { compileCryptoWasm } from "../../src/dataplane/crypto-wasm.js";
import { schedule } from "../../src/io/clock.js";
import { parsePool } from "../../src/mesh/address-allocator.js";
import { createAdminApp } from "../../src/mesh/admin-http.js";
import { createCoordinatorChannel, type ChannelCrypto } from "../../src/mesh/control-channel.js";
import { createControlClient, type ControlClient } from "../../src/mesh/control-client.js";
import { createCoordinator, DEFAULT_COORDINATOR_SETTINGS, type Coordinator } from "../../src/mesh/coordinator.js";
import { createControlApp } from "../../src/mesh/coordinator-http.js";
import { openCoordinatorStore, type CoordinatorStore } from "../../src/store/coordinator-store.js";
import type { LocalIdentity } from "../../src/wireguard/noise.js";
import { clampPrivateKey, createFastestX25519 } from "../../src/wireguard/x25519.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

export const CONTROL_URL = "http://coordinator.test";

export class CoordinatorFixture {
  readonly dir = mkdtempSync(join(tmpdir(), "meshgate-coordinator-test-"));
  readonly store: CoordinatorStore;
  readonly noise: ChannelCrypto;
  readonly identity: LocalIdentity;
  readonly coordinator: Coordinator;
  readonly app;
  readonly admin;
  readonly logs: string[] = [];
  wallClock = Date.UTC(2026, 5, 1);
  monotonic = 1000;
  private seed = 100;

  constructor(settings: Partial<typeof DEFAULT_COORDINATOR_SETTINGS> = {}) {
    const random = createSeededRandom(42);
    this.noise = { crypto: createCryptoCore(compileCryptoWasm("release")), x25519: createFastestX25519(), random };
    this.identity = this.newIdentity();
    this.store = openCoordinatorStore(join(this.dir, "coordinator.db"));
    this.coordinator = createCoordinator({
      store: this.store,
      publicKey: this.identity.publicKey,
      pool: parsePool("100.64.0.0/10", "fd00:1:2::/48"),
      random,
      now: () => this.wallClock,
      schedule,
      settings: { ...DEFAULT_COORDINATOR_SETTINGS, pollTimeoutMs: 50, ...settings },
      log: (line) => this.logs.push(line),
    });
    const channel = createCoordinatorChannel(this.noise, this.identity);
    this.app = createControlApp({ coordinator: this.coordinator, channel, now: () => this.monotonic, log: (line) => this.logs.push(line) });
    this.admin = createAdminApp(this.coordinator, { publicKey: Buffer.from(this.identity.publicKey).toString("base64"), controlUrl: CONTROL_URL });
  }

  newIdentity(): LocalIdentity {
    const privateKey = clampPrivateKey(createSeededRandom(this.seed++).bytes(32));
    return { privateKey, publicKey: this.noise.x25519.publicKey(privateKey) };
  }

  fetch: typeof fetch = async (input, init) => this.app.request(input as string, init as RequestInit);

  // `fetch` may route elsewhere (an impostor on the path); by default, to the app.
  client(identity: LocalIdentity = this.newIdentity(), coordinatorKey: Uint8Array = this.identity.publicKey, fetch: typeof globalThis.fetch = this.fetch): ControlClient {
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

  key(options: { reusable?: boolean; expiresInMs?: number | null } = {}): string {
    return this.coordinator.createAuthKey({ reusable: options.reusable ?? false, ephemeral: false, expiresInMs: options.expiresInMs ?? null, description: "", user: "admin" }).key;
  }

  close(): void {
    this.store.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export const report = { hostname: "laptop", endpoints: ["192.0.2.10:41641"], listenPort: 41641 };
