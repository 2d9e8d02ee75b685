// Joining from a node's store: a one-off key used again at every start (the Pi image passes
// meshgate.conf's key to each `meshgate start`) must not stop a registered node from starting.

import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import { joinMesh, type JoinOptions } from "../../src/mesh/join.js";
import { openNodeStore } from "../../src/store/node-store.js";
import { CONTROL_URL, CoordinatorFixture, report } from "./coordinator-fixture.js";

test("with enrollOnly a used one-off key starts a registered node from its registration; without it the key is refused", async () => {
  const f = new CoordinatorFixture();
  after(() => f.close());
  const store = openNodeStore(join(f.dir, "node.db"));
  after(() => store.close());
  const identity = f.newIdentity();
  const options = (authKey: string, enrollOnly: boolean): JoinOptions => ({
    store, identity, noise: f.noise, report: () => report, coordinatorUrl: CONTROL_URL, authKey, enrollOnly,
    log: () => {}, fetch: f.fetchFrom(f.newSource()), wallClock: () => f.wallClock, now: () => f.monotonic,
  });
  const key = f.key(); // one node, once
  const first = await joinMesh(options(key, true));
  assert.match(first.self.ipv4, /^100\./);

  f.wallClock += 60_000; // a later start (a handshake's timestamp must be newer than the last)
  f.monotonic += 60_000;
  const again = await joinMesh(options(key, true));
  assert.equal(again.self.ipv4, first.self.ipv4, "the saved registration");
  const poll = await again.client.call({ op: "poll", version: 0 });
  assert.equal(poll.op, "poll", "and it works with the coordinator");

  await assert.rejects(joinMesh(options(key, false)), /cannot join/, "a used key, offered to renew, is refused");
});
