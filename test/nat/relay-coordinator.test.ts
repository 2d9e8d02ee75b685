// The TCP relay as the coordinator runs it (startCoordinator: real HTTP on loopback, no root):
// enrolled nodes get in on the control port, a key the coordinator does not know does not, a
// removed node is cut off within seconds, and stopping the coordinator ends relay connections.
// Then the same parts in memory on a fake clock (composeCoordinator): when exactly an expired
// and a removed node lose the relay.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createCryptoCore } from "../../src/dataplane/crypto-core.js";
import { compileCryptoWasm } from "../../src/dataplane/crypto-wasm.js";
import { startCoordinator } from "../../src/daemon/coordinator.js";
import { monotonicMs } from "../../src/io/clock.js";
import { startRelayConnection, type RelayConnection } from "../../src/io/relay-connection.js";
import { requestJson } from "../../src/io/unix-http-client.js";
import { createControlClient } from "../../src/mesh/control-client.js";
import { createRelayClient } from "../../src/nat/relay-client.js";
import { RELAY_PATH, RELAY_UPGRADE_TOKEN } from "../../src/nat/relay-protocol.js";
import { createSeededRandom } from "../fakes/seeded-random.js";
import { CoordinatorFixture, report } from "../mesh/coordinator-fixture.js";
import { identity, MemoryRelay, x25519, type Identity } from "./relay-fixture.js";

async function until(what: string, condition: () => boolean, limitMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > limitMs) throw new Error(`waited ${limitMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test("the coordinator's relay takes its registered nodes, refuses others, and cuts off a removed node", async () => {
  const stateDir = mkdtempSync(join(tmpdir(), "meshgate-relay-coordinator-"));
  const coordinator = await startCoordinator({ stateDir, listenHost: "127.0.0.1", listenPort: 0, log: () => undefined });
  const connections: RelayConnection[] = [];
  try {
    const coordinatorKey = Uint8Array.from(Buffer.from(coordinator.publicKey, "base64"));
    const created = await requestJson(coordinator.adminSocket, "POST", "/v1/keys", { reusable: true });
    const noise = { crypto: createCryptoCore(compileCryptoWasm("release")), x25519, random: createSeededRandom(5) };
    const enroll = async (who: Identity, hostname: string): Promise<void> => {
      const control = createControlClient({ coordinatorUrl: coordinator.controlUrl, coordinatorKey, identity: who, noise, fetch, wallClock: Date.now, now: monotonicMs });
      const answer = await control.call({ op: "enroll", authKey: String(created.body["key"]), hostname, endpoints: [], listenPort: 41641 });
      assert.equal(answer.op, "enroll");
    };
    const relayTo = (who: Identity, seed: number): RelayConnection => {
      const connection = startRelayConnection({
        core: createRelayClient({ identity: who, serverKey: coordinatorKey, x25519, random: createSeededRandom(seed) }),
        url: coordinator.controlUrl,
        path: RELAY_PATH,
        token: RELAY_UPGRADE_TOKEN,
        now: monotonicMs,
        onPacket: () => undefined,
        log: () => undefined,
      });
      connections.push(connection);
      return connection;
    };

    const alice = identity(51);
    const bob = identity(52);
    await enroll(alice, "alice");
    await enroll(bob, "bob");
    const a = relayTo(alice, 1);
    const b = relayTo(bob, 2);
    const stranger = relayTo(identity(53), 3);
    await until("both nodes ready", () => a.status().phase === "ready" && b.status().phase === "ready");
    await until("the stranger refused", () => stranger.status().phase === "error");
    assert.match(stranger.status().text, /^the relay refused: authentication failed/);

    const removed = await requestJson(coordinator.adminSocket, "DELETE", `/v1/nodes/alice`);
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    await until("alice cut off", () => a.status().phase !== "ready" && /no longer a registered|authentication failed/.test(a.status().text));
    assert.equal(b.status().phase, "ready", "bob stays");
  } finally {
    // Bob is still connected: stopping must not wait for his socket.
    await coordinator.stop();
    for (const connection of connections) connection.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test("composed as the daemon composes it: an expired key is cut off at the 5-second recheck, a removed node at the next tick", async () => {
  const f = new CoordinatorFixture();
  try {
    const alice = f.newIdentity();
    const bob = f.newIdentity();
    const authKey = f.key({ reusable: true });
    await f.client(alice).call({ op: "enroll", authKey, ...report, hostname: "alice" });
    await f.client(bob).call({ op: "enroll", authKey, ...report, hostname: "bob" });
    const relay = new MemoryRelay({ server: f.parts.relay });
    const link = (who: Identity) => relay.attach(createRelayClient({ identity: who, serverKey: f.identity.publicKey, x25519, random: createSeededRandom(1) }));
    const a = link(alice);
    const b = link(bob);
    const stranger = link(identity(54));
    for (const node of [a, b, stranger]) node.run(1_000, node.client.start(1_000));
    assert.equal(a.client.status().phase, "ready");
    assert.equal(b.client.status().phase, "ready");
    assert.equal(stranger.client.status().phase, "error");
    relay.tick(1_000);

    f.coordinator.expireNode("bob");
    relay.tick(1_001);
    assert.equal(b.client.status().phase, "ready", "an expiry waits for the recheck");
    relay.tick(6_000);
    assert.equal(b.client.status().phase, "error");
    assert.match(b.client.status().text, /no longer a registered, unexpired node/);

    f.coordinator.removeNode("alice");
    relay.tick(6_001);
    assert.equal(a.client.status().phase, "error", "a removal is heard at once");
    assert.equal(f.parts.relay.stats().revoked, 2);
  } finally {
    f.close();
  }
});
