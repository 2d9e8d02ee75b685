// What time alone changes, applied by the sweep: keys that expire drop out of everyone's map,
// ephemeral nodes gone long enough are removed, online state follows polling.

import assert from "node:assert/strict";
import { test } from "node:test";
import { CoordinatorFixture, report } from "./coordinator-fixture.js";

test("an expiring key drops the node from its peers' maps at the next sweep", async () => {
  const f = new CoordinatorFixture({ settings: { keyLifetimeMs: 60_000 } });
  try {
    const watcher = f.client();
    await watcher.call({ op: "enroll", authKey: f.key(), ...report, hostname: "watcher" });
    const short = f.client();
    await short.call({ op: "enroll", authKey: f.key(), ...report, hostname: "short" });
    f.wallClock += 1000;
    await watcher.call({ op: "renew", authKey: f.key() }); // the watcher stays valid longer
    const first = await watcher.call({ op: "poll", version: 0 });
    assert.ok(first.op === "poll");
    assert.deepEqual(first.update.kind === "full" ? first.update.peers.map((p) => p.name) : [], ["short"]);
    f.wallClock += 59_500; // "short" is now past its 60 s; the watcher is not
    f.tick();
    const second = await watcher.call({ op: "poll", version: first.update.version });
    assert.ok(second.op === "poll" && second.update.kind === "delta");
    if (second.update.kind === "delta") assert.equal(second.update.remove.length, 1, "the expired node is removed from the map");
  } finally {
    f.close();
  }
});

test("an ephemeral node offline long enough is removed; a regular one is kept", async () => {
  const f = new CoordinatorFixture({ settings: { ephemeralOfflineMs: 10 * 60_000, onlineWindowMs: 45_000 } });
  try {
    const ephemeralKey = f.coordinator.createAuthKey({ reusable: false, ephemeral: true, expiresInMs: null, description: "ci runner", user: "admin" }).key;
    await f.client().call({ op: "enroll", authKey: ephemeralKey, ...report, hostname: "runner" });
    await f.client().call({ op: "enroll", authKey: f.key(), ...report, hostname: "server" });
    assert.deepEqual(f.coordinator.listNodes().map((node) => [node.name, node.ephemeral, node.online]), [["runner", true, true], ["server", false, true]]);
    f.wallClock += 5 * 60_000;
    f.tick();
    assert.deepEqual(f.coordinator.listNodes().map((node) => [node.name, node.online]), [["runner", false], ["server", false]], "offline but not yet removed");
    f.wallClock += 6 * 60_000;
    f.tick();
    assert.deepEqual(f.coordinator.listNodes().map((node) => node.name), ["server"]);
    assert.ok(f.store.audit.recent(5).some((entry) => entry.action === "remove-ephemeral"));
  } finally {
    f.close();
  }
});
