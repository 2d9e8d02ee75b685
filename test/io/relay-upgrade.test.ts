// The TCP relay for real, on loopback (no root): an HTTP server like the coordinator's, with the
// relay attached by HTTP upgrade, and real relay connections (node:http upgrade, sockets).
// Two clients exchange packets by node key; garbage, a client that never authenticates, a
// wrong proof and an unregistered key are refused and counted; other requests are untouched.

import assert from "node:assert/strict";
import { createServer, request } from "node:http";
import { connect, type Socket } from "node:net";
import { after, before, test } from "node:test";
import { Hono } from "hono";
import { monotonicMs } from "../../src/io/clock.js";
import { serveTcp, type RunningServer } from "../../src/io/http-server.js";
import { startRelayConnection, type RelayConnection } from "../../src/io/relay-connection.js";
import { createRelayUpgrade, type RelayUpgrade } from "../../src/io/relay-upgrade.js";
import { createRelayClient } from "../../src/nat/relay-client.js";
import { RELAY_PATH, RELAY_UPGRADE_TOKEN } from "../../src/nat/relay-protocol.js";
import { createRelayServer, type RelayServer, type RelayServerLimits } from "../../src/nat/relay-server.js";
import { createSeededRandom } from "../fakes/seeded-random.js";
import { b64, identity, x25519, type Identity } from "../nat/relay-fixture.js";

const coordinator = identity(41);
const alice = identity(42);
const bob = identity(43);
const stranger = identity(44);
const mallory = identity(45);

// Waits for `condition`, polling; the limit is far beyond what any machine needs, so the test
// fails only when the condition never comes (tests never fail on timing).
async function until(what: string, condition: () => boolean, limitMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > limitMs) throw new Error(`waited ${limitMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface Relay {
  readonly core: RelayServer;
  readonly upgrade: RelayUpgrade;
  readonly server: RunningServer;
  readonly url: string;
  readonly logs: string[];
}

async function startRelay(allowed: readonly Identity[], limits: Partial<RelayServerLimits> = {}): Promise<Relay> {
  const keys = new Set(allowed.map((who) => b64(who.publicKey)));
  const logs: string[] = [];
  const core = createRelayServer({ identity: coordinator, x25519, random: createSeededRandom(1), isAllowed: (key) => keys.has(b64(key)), log: (line) => logs.push(line), limits });
  const upgrade = createRelayUpgrade({ core, path: RELAY_PATH, token: RELAY_UPGRADE_TOKEN, now: monotonicMs, tickMs: 50 });
  const app = new Hono();
  app.get("/health", (c) => c.json({ ok: true }));
  const server = await serveTcp(app, "127.0.0.1", 0, upgrade);
  return { core, upgrade, server, url: `http://${server.address}`, logs };
}

interface Node {
  readonly connection: RelayConnection;
  readonly received: { from: string; packet: Buffer }[];
  readonly gone: string[];
}

function node(relay: Relay, who: Identity, seed: number): Node {
  const received: { from: string; packet: Buffer }[] = [];
  const gone: string[] = [];
  const core = createRelayClient({ identity: who, serverKey: coordinator.publicKey, x25519, random: createSeededRandom(seed) });
  const connection = startRelayConnection({
    core,
    url: relay.url,
    path: RELAY_PATH,
    token: RELAY_UPGRADE_TOKEN,
    now: monotonicMs,
    onPacket: (from, packet) => received.push({ from: b64(from), packet: Buffer.from(packet) }),
    onPeerGone: (key) => gone.push(b64(key)),
    log: () => undefined,
  });
  return { connection, received, gone };
}

// A raw TCP client: the upgrade request, then whatever the test writes; collects what comes back.
function rawUpgrade(relay: Relay): Promise<{ socket: Socket; data: () => Buffer; ended: Promise<void> }> {
  const port = Number(relay.server.address.split(":").at(-1));
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(`GET ${RELAY_PATH} HTTP/1.1\r\nhost: relay\r\nconnection: Upgrade\r\nupgrade: ${RELAY_UPGRADE_TOKEN}\r\n\r\n`);
      resolve({ socket, data: () => Buffer.concat(chunks), ended });
    });
    const ended = new Promise<void>((done) => socket.on("close", () => done()));
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", () => undefined);
  });
}

function get(relay: Relay, path: string, headers: Record<string, string> = {}): Promise<number> {
  const target = new URL(path, relay.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, path, headers, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

let relay: Relay;
before(async () => {
  relay = await startRelay([alice, bob, mallory], { authTimeoutMs: 300 });
});
after(async () => {
  await relay.server.close();
});

test("two nodes exchange packets by node key through the relay; a key not connected is peerGone", async () => {
  const a = node(relay, alice, 1);
  const b = node(relay, bob, 2);
  try {
    await until("both ready", () => a.connection.status().phase === "ready" && b.connection.status().phase === "ready");
    for (let i = 0; i < 100; i++) assert.ok(a.connection.send(bob.publicKey, Buffer.from(`packet ${i}`)));
    const large = Buffer.alloc(60_000, 0x42); // crosses TCP chunks on the way
    assert.ok(b.connection.send(alice.publicKey, large));
    await until("every packet", () => b.received.length === 100 && a.received.length === 1);
    assert.deepEqual(b.received.map((p) => p.packet.toString()), Array.from({ length: 100 }, (_, i) => `packet ${i}`), "in order, none lost");
    assert.ok(b.received.every((p) => p.from === b64(alice.publicKey)));
    assert.ok(a.received[0]!.packet.equals(large));
    a.connection.send(stranger.publicKey, Buffer.from("?"));
    await until("peerGone", () => a.gone.length === 1);
    assert.equal(a.gone[0], b64(stranger.publicKey));
    assert.equal(relay.core.stats().ready, 2);
    assert.equal(relay.upgrade.sockets, 2);
  } finally {
    a.connection.stop();
    b.connection.stop();
  }
  await until("the relay saw them go", () => relay.core.stats().connections === 0);
});

test("garbage after the upgrade is refused: an error frame, the socket closed, counted", async () => {
  const before = relay.core.stats().framingErrors;
  const raw = await rawUpgrade(relay);
  raw.socket.write(Buffer.from("\xff\xff\xff\xff\xff\xff garbage", "latin1"));
  await raw.ended;
  const text = raw.data().toString("latin1");
  assert.match(text, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
  assert.match(text, /bad framing \(unknown_type\)/);
  assert.equal(relay.core.stats().framingErrors, before + 1);
});

test("a client that never authenticates is closed after the time limit, counted", async () => {
  const before = relay.core.stats().authTimeouts;
  const raw = await rawUpgrade(relay);
  await raw.ended;
  assert.match(raw.data().toString("latin1"), /did not authenticate within 0.3 s/);
  assert.equal(relay.core.stats().authTimeouts, before + 1);
});

test("a wrong proof and an unregistered key are refused, counted, and shown to the node", async () => {
  const stats = relay.core.stats();
  // Mallory's private key, Alice's (registered) public key: the proof cannot match.
  const forger = node(relay, { privateKey: mallory.privateKey, publicKey: alice.publicKey }, 3);
  const outsider = node(relay, stranger, 4);
  try {
    await until("both refused", () => forger.connection.status().phase === "error" && outsider.connection.status().phase === "error");
    assert.match(forger.connection.status().text, /^the relay refused: authentication failed/);
    assert.match(outsider.connection.status().text, /^the relay refused: authentication failed/);
    assert.ok(relay.core.stats().authFailed > stats.authFailed);
    assert.ok(relay.core.stats().authRefused > stats.authRefused);
  } finally {
    forger.connection.stop();
    outsider.connection.stop();
  }
});

test("other requests are the app's: plain ones, and other upgrades (refused where Node cannot hand them back)", async () => {
  assert.equal(await get(relay, "/health"), 200);
  assert.equal(await get(relay, RELAY_PATH), 404, "the relay path without the upgrade is the app's");
  const nodeCanRoute = (createServer() as { shouldUpgradeCallback?: unknown }).shouldUpgradeCallback !== undefined;
  assert.equal(await get(relay, "/health", { connection: "Upgrade", upgrade: "websocket" }), nodeCanRoute ? 200 : 400);
});

test("past its limits the relay answers 503 before the upgrade; closing the server ends live relay sockets", async () => {
  const full = await startRelay([alice], { maxUnauthenticated: 1, authTimeoutMs: 60_000 });
  const silent = await rawUpgrade(full);
  await until("the first upgrade", () => full.core.stats().unauthenticated === 1);
  const refused = await rawUpgrade(full);
  await refused.ended;
  assert.match(refused.data().toString("latin1"), /^HTTP\/1\.1 503 Service Unavailable\r\nretry-after: 5\r\n/);
  assert.equal(full.core.stats().refusedFull, 1);
  await full.server.close(); // must not wait for the upgraded socket
  await silent.ended;
  assert.equal(full.upgrade.sockets, 0);
});
