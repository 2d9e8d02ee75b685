// Netmaps through the real control app and clients (app.request()): a full map of 1,200 nodes
// goes through the channel in chunks; one change wakes every waiting poll and is composed once
// for all of them, with no netmap rebuilt from the store; a node whose version is older than
// the change log gets a full map; polls do not write the store (the sweep saves last-seen times).

import assert from "node:assert/strict";
import { test } from "node:test";
import type { ControlClient } from "../../src/mesh/control-client.js";
import type { NetmapUpdate } from "../../src/mesh/netmap.js";
import { CHUNK_PLAINTEXT_BYTES } from "../../src/mesh/control-session.js";
import { composeCoordinator } from "../../src/daemon/coordinator.js";
import { schedule } from "../../src/io/clock.js";
import { parsePool } from "../../src/mesh/address-allocator.js";
import { DEFAULT_COORDINATOR_SETTINGS } from "../../src/mesh/coordinator.js";
import { VERSION_BLOCK } from "../../src/mesh/netmap-publisher.js";
import { CoordinatorFixture, report } from "./coordinator-fixture.js";

async function poll(client: ControlClient, version: number): Promise<NetmapUpdate> {
  const answer = await client.call({ op: "poll", version });
  assert.equal(answer.op, "poll");
  if (answer.op !== "poll") throw new Error("unreachable");
  return answer.update;
}

// `count` nodes written straight into the store (enrolling each through the channel would only
// make the test slower), then published as the coordinator publishes any change.
function addNodes(f: CoordinatorFixture, count: number): void {
  const user = f.store.users.ensure("admin", f.wallClock);
  const keys: string[] = [];
  f.store.transaction(() => {
    for (let i = 0; i < count; i++) {
      const nodeKey = Buffer.alloc(32, 0).fill(i & 255, 0, 1).fill(i >> 8, 1, 2).toString("base64");
      keys.push(nodeKey);
      f.store.nodes.insert({
        nodeKey, name: `node-${i}`, hostname: `node-${i}`, userId: user.id, ipv4: `100.70.${i >> 8}.${i & 255}`, ipv6: `fd00:1:2::6446:${i.toString(16)}`,
        keyExpiresAt: null, ephemeral: false, authKeyId: null, endpoints: [`192.0.2.${i & 255}:41641`, `[2001:db8::${i.toString(16)}]:41641`],
        listenPort: 41641, nat: null, relayPort: null, createdAt: f.wallClock,
      });
    }
  });
  for (const key of keys) f.parts.publisher.mark(key, "soon");
  f.parts.publisher.flush();
}

test("a full netmap of 1,200 nodes round-trips, sealed in chunks", async () => {
  const f = new CoordinatorFixture();
  try {
    addNodes(f, 1200);
    let answerBytes = 0;
    const source = f.fetchFrom(f.newSource());
    const measuring: typeof fetch = async (input, init) => {
      const response = await source(input, init);
      const body = new Uint8Array(await response.arrayBuffer());
      if (String(input).endsWith("/call")) answerBytes = body.length;
      return new Response(body, { status: response.status, headers: response.headers });
    };
    const client = f.client(undefined, undefined, measuring);
    await client.call({ op: "enroll", authKey: f.key(), ...report });
    const update = await poll(client, 0);
    assert.equal(update.kind, "full");
    if (update.kind !== "full") return;
    assert.equal(update.peers.length, 1200);
    assert.deepEqual(update.peers[1199]!.endpoints, ["192.0.2.175:41641", "[2001:db8::4af]:41641"]);
    assert.ok(answerBytes > 3 * CHUNK_PLAINTEXT_BYTES, `the answer (${answerBytes} bytes) spans several chunks`);
  } finally {
    f.close();
  }
});

test("one change reaches every waiting node as a delta composed once, without rebuilding a netmap from the store", async () => {
  const f = new CoordinatorFixture({ settings: { pollTimeoutMs: 10_000 } });
  try {
    const clients: ControlClient[] = [];
    for (let i = 0; i < 25; i++) {
      const client = f.client();
      await client.call({ op: "enroll", authKey: f.key(), ...report, hostname: `n${i}` });
      clients.push(client);
    }
    f.parts.publisher.flush();
    const versions: number[] = [];
    for (const client of clients) versions.push((await poll(client, 0)).version);
    const version = f.parts.publisher.log.version;
    assert.ok(versions.every((v) => v === version), "every node holds the current version");
    let listed = 0;
    const list = f.store.nodes.list;
    f.store.nodes.list = () => (listed++, list());
    const before = f.parts.publisher.log.stats();
    const waiting = clients.slice(1).map((client) => poll(client, version));
    await new Promise((resolve) => setImmediate(resolve)); // most are waiting now; a late one is answered from the same delta
    await clients[0]!.call({ op: "report", ...report, hostname: "n0", endpoints: ["198.51.100.1:41641"] });
    const updates = await Promise.all(waiting);
    for (const update of updates) {
      assert.equal(update.kind, "delta");
      if (update.kind !== "delta") continue;
      assert.equal(update.baseVersion, version);
      assert.deepEqual(update.upsert.map((peer) => [peer.name, peer.endpoints]), [["n0", ["198.51.100.1:41641"]]]);
    }
    const after = f.parts.publisher.log.stats();
    assert.equal(after.deltasComposed - before.deltasComposed, 1, "composed once for 24 nodes");
    assert.equal(after.fullMapsComposed, before.fullMapsComposed);
    assert.equal(listed, 0, "no node list read from the store");
  } finally {
    f.close();
  }
});

test("a node whose version is older than the change log gets a full map", async () => {
  const f = new CoordinatorFixture({ netmapLogLimits: { maxVersions: 2, minKeys: 0 } });
  try {
    const watcher = f.client();
    await watcher.call({ op: "enroll", authKey: f.key(), ...report, hostname: "watcher" });
    const first = await poll(watcher, 0);
    const other = f.client();
    await other.call({ op: "enroll", authKey: f.key(), ...report, hostname: "other" });
    f.parts.publisher.flush();
    const recent = await poll(watcher, first.version);
    assert.equal(recent.kind, "delta", "one change behind: a delta");
    for (let i = 0; i < 4; i++) {
      await other.call({ op: "report", ...report, hostname: "other", endpoints: [`198.51.100.${i}:41641`] });
      f.parts.publisher.flush();
    }
    const old = await poll(watcher, recent.version);
    assert.equal(old.kind, "full", "four changes behind a two-version log: a full map");
    if (old.kind === "full") assert.deepEqual(old.peers.map((peer) => peer.endpoints), [["198.51.100.3:41641"]]);
  } finally {
    f.close();
  }
});

test("polls keep last-seen times in memory; the sweep saves them in one go", async () => {
  const f = new CoordinatorFixture();
  try {
    const client = f.client();
    await client.call({ op: "enroll", authKey: f.key(), ...report });
    f.tick();
    const saved = f.store.nodes.list()[0]!.lastSeenAt;
    f.wallClock += 5000;
    await poll(client, 0);
    assert.equal(f.store.nodes.list()[0]!.lastSeenAt, saved, "a poll writes nothing");
    assert.equal(f.coordinator.listNodes()[0]!.lastSeenAt, f.wallClock, "admins see the time heard");
    f.tick();
    assert.equal(f.store.nodes.list()[0]!.lastSeenAt, f.wallClock, "saved by the sweep");
  } finally {
    f.close();
  }
});

test("after a restart (a crash included), versions start above every version handed out: a node's first answer is a full map", async () => {
  const f = new CoordinatorFixture();
  try {
    const client = f.client();
    await client.call({ op: "enroll", authKey: f.key(), ...report });
    let held = await poll(client, 0);
    for (let i = 0; i < 5; i++) {
      await client.call({ op: "report", ...report, endpoints: [`198.51.100.${i}:41641`] });
      f.parts.publisher.flush();
      held = await poll(client, held.version);
    }
    assert.ok(f.store.netmapVersion() >= held.version, "the store holds a version at least as high as any handed out");
    assert.ok(f.store.netmapVersion() < held.version + VERSION_BLOCK, "one store write per block of versions");
    // Another coordinator over the same store, as after a crash (nothing was shut down).
    const restarted = composeCoordinator({
      store: f.store, identity: f.identity, noise: f.noise, pool: parsePool("100.64.0.0/10", "fd00:1:2::/48"),
      wallClock: () => f.wallClock, monotonic: () => f.monotonic, schedule, settings: { ...DEFAULT_COORDINATOR_SETTINGS, pollTimeoutMs: 50 },
      log: () => undefined, sourceOf: () => null,
    });
    try {
      assert.ok(restarted.publisher.log.version > held.version);
      const answer = restarted.publisher.log.answer(f.coordinator.listNodes()[0]!.nodeKey, held.version);
      assert.ok(answer !== null);
      assert.equal((JSON.parse(Buffer.concat(answer).toString()) as NetmapUpdate).kind, "full");
    } finally {
      restarted.publisher.stop();
    }
  } finally {
    f.close();
  }
});
