// Failover as the coordinator runs it (startCoordinator: real HTTP on loopback, real timers, the
// daemon's one-second routers' check, no root): two routers for one subnet and a watcher, each
// a node agent polling as a node does; the primary's agent stops, and the watcher's netmap moves
// the subnet to the standby within the router window plus a check. The windows are shortened
// (the defaults, 3 s polls and 10 s, make the same budget 11 s: src/mesh/README.md).

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createCryptoCore } from "../../src/dataplane/crypto-core.js";
import { compileCryptoWasm } from "../../src/dataplane/crypto-wasm.js";
import { startCoordinator } from "../../src/daemon/coordinator.js";
import { monotonicMs } from "../../src/io/clock.js";
import { requestJson } from "../../src/io/unix-http-client.js";
import { createControlClient } from "../../src/mesh/control-client.js";
import { createNodeAgent, type NodeAgent } from "../../src/mesh/node-agent.js";
import type { Netmap } from "../../src/mesh/netmap.js";
import { ROUTER_CHECK_INTERVAL_MS } from "../../src/mesh/sweep.js";
import { clampPrivateKey, createFastestX25519 } from "../../src/wireguard/x25519.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

const LAN = "192.168.1.0/24";
const ROUTER_WINDOW_MS = 600;

async function until(what: string, condition: () => boolean, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test("a stopped primary router's subnet moves to the standby within the router window and one check", async () => {
  const stateDir = mkdtempSync(join(tmpdir(), "meshgate-failover-"));
  const coordinator = await startCoordinator({
    stateDir, listenHost: "127.0.0.1", listenPort: 0, log: () => undefined,
    settings: { autoApproveRoutes: ["192.168.0.0/16"], routerPollTimeoutMs: 100, routerOnlineWindowMs: ROUTER_WINDOW_MS },
  });
  const agents: NodeAgent[] = [];
  try {
    const authKey = String((await requestJson(coordinator.adminSocket, "POST", "/v1/keys", { reusable: true })).body["key"]);
    const x25519 = createFastestX25519();
    const noise = { crypto: createCryptoCore(compileCryptoWasm("release")), x25519, random: createSeededRandom(3) };
    let seed = 10;
    const node = async (hostname: string, routes: string[]) => {
      const privateKey = clampPrivateKey(createSeededRandom(seed++).bytes(32));
      const client = createControlClient({
        coordinatorUrl: coordinator.controlUrl, coordinatorKey: Uint8Array.from(Buffer.from(coordinator.publicKey, "base64")),
        identity: { privateKey, publicKey: x25519.publicKey(privateKey) }, noise, fetch, wallClock: Date.now, now: monotonicMs,
      });
      const report = { hostname, endpoints: [], listenPort: 41641, routes };
      await client.call({ op: "enroll", authKey, ...report });
      const seen = { netmap: null as Netmap | null };
      const agent = createNodeAgent({
        client, report: () => report, initial: null, onNetmap: (netmap) => (seen.netmap = netmap), onCutOff: () => undefined,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)), wallClock: Date.now, log: () => undefined,
      });
      agent.start();
      agents.push(agent);
      return { agent, seen };
    };
    const a = await node("gw-a", [LAN]);
    await node("gw-b", [LAN]);
    const watcher = await node("watcher", []);
    const primary = (): string | undefined => [watcher.seen.netmap?.self, ...(watcher.seen.netmap?.peers ?? [])].find((peer) => peer?.routes.includes(LAN))?.name;
    await until("gw-a primary", () => primary() === "gw-a", 5_000);

    a.agent.stop();
    // The window, a check, and a margin for a busy test machine.
    await until("the subnet moves to gw-b", () => primary() === "gw-b", ROUTER_WINDOW_MS + ROUTER_CHECK_INTERVAL_MS + 1_500);
  } finally {
    for (const agent of agents) agent.stop();
    await coordinator.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
});
