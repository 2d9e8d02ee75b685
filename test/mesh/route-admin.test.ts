// What admins do with routes: list, approve (only what a node advertises), reject (unapprove,
// or forget a route no longer advertised); refusals name the node, the route and what it
// does advertise; every change is audited and reaches the netmap at once.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ControlError } from "../../src/mesh/control-protocol.js";
import { CoordinatorFixture, report } from "./coordinator-fixture.js";

const LAN = "192.168.1.0/24";

function refusal(run: () => unknown, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ControlError, String(error));
    assert.equal(error.status, 400);
    assert.match(error.message, message);
    return true;
  });
}

async function setUp(settings = {}) {
  const f = new CoordinatorFixture({ settings });
  const gw = f.client();
  const gwReport = { ...report, hostname: "gw", routes: [LAN, "0.0.0.0/0", "::/0"] };
  await gw.call({ op: "enroll", authKey: f.key(), ...gwReport });
  await f.client().call({ op: "enroll", authKey: f.key(), ...report, hostname: "plain" });
  f.parts.publisher.flush();
  const self = async () => {
    const answer = await gw.call({ op: "poll", version: 0 });
    assert.ok(answer.op === "poll" && answer.update.kind === "full");
    return answer.update.self;
  };
  return { f, gw, gwReport, self };
}

test("routes: approve what a node advertises — one prefix, its exit routes, all; the netmap follows at once; audited", async () => {
  const { f, self } = await setUp();
  try {
    assert.deepEqual(f.coordinator.listRoutes().map((r) => `${r.node} ${r.prefix} ${r.advertised} ${r.approved} ${r.primary} ${r.online}`), [
      "gw 0.0.0.0/0 true false false true", `gw ${LAN} true false false true`, "gw ::/0 true false false true",
    ]);
    const version = f.parts.publisher.log.version;
    const approved = f.coordinator.approveRoutes("gw", [LAN]);
    assert.deepEqual([approved.node, approved.changed, approved.unchanged], ["gw", [LAN], []]);
    assert.deepEqual(approved.routes.filter((r) => r.primary).map((r) => r.prefix), [LAN], "primary at once");
    assert.ok(f.parts.publisher.log.version > version, "published at once");
    assert.deepEqual((await self()).routes, [LAN]);
    assert.deepEqual(f.coordinator.approveRoutes("gw", [LAN]).unchanged, [LAN], "approving twice changes nothing");

    const exits = f.coordinator.approveRoutes("gw", "exit-node");
    assert.deepEqual(exits.changed, ["0.0.0.0/0", "::/0"]);
    assert.deepEqual((await self()).routes, ["0.0.0.0/0", LAN, "::/0"]);
    assert.deepEqual(f.coordinator.approveRoutes("1", "all").unchanged, ["0.0.0.0/0", LAN, "::/0"], "by id, all");
    assert.deepEqual(f.store.audit.recent(10).filter((e) => e.action === "route-approve").map((e) => e.detail).sort(), ["gw 0.0.0.0/0", `gw ${LAN}`, "gw ::/0"]);
  } finally {
    f.close();
  }
});

test("routes: approving what a node does not advertise, a bad CIDR, an unknown node: 400 with the reason", async () => {
  const { f } = await setUp();
  try {
    refusal(() => f.coordinator.approveRoutes("gw", ["10.9.0.0/24"]), /^gw does not advertise 10\.9\.0\.0\/24 \(it advertises: 0\.0\.0\.0\/0, 192\.168\.1\.0\/24, ::\/0\)$/);
    refusal(() => f.coordinator.approveRoutes("plain", ["10.9.0.0/24"]), /^plain does not advertise 10\.9\.0\.0\/24 \(it advertises: nothing\)$/);
    refusal(() => f.coordinator.approveRoutes("plain", "exit-node"), /^plain does not offer to be an exit node/);
    refusal(() => f.coordinator.approveRoutes("gw", ["192.168.1.1/24"]), /host bits set: did you mean 192\.168\.1\.0\/24\?/);
    refusal(() => f.coordinator.approveRoutes("gw", ["100.64.1.0/24"]), /overlaps the mesh's own addresses/);
    refusal(() => f.coordinator.approveRoutes("nobody", "all"), /no node "nobody"/);
    refusal(() => f.coordinator.rejectRoutes("gw", ["10.9.0.0/24"]), /^gw does not advertise 10\.9\.0\.0\/24/);
    assert.deepEqual(f.coordinator.approveRoutes("plain", "all").changed, [], "all of nothing is nothing");
    assert.equal(f.coordinator.listRoutes().filter((r) => r.approved).length, 0);
  } finally {
    f.close();
  }
});

test("routes: reject unapproves an advertised route (it stays listed), forgets one no longer advertised; audited", async () => {
  const { f, gw, gwReport, self } = await setUp();
  try {
    f.coordinator.approveRoutes("gw", "all");
    const rejected = f.coordinator.rejectRoutes("gw", [LAN]);
    assert.deepEqual([rejected.changed, rejected.unchanged], [[LAN], []]);
    assert.deepEqual(rejected.routes.map((r) => `${r.prefix} ${r.advertised} ${r.approved}`), ["0.0.0.0/0 true true", `${LAN} true false`, "::/0 true true"]);
    assert.deepEqual((await self()).routes, ["0.0.0.0/0", "::/0"]);
    assert.deepEqual(f.coordinator.rejectRoutes("gw", [LAN]).unchanged, [LAN]);

    await gw.call({ op: "report", ...gwReport, routes: [LAN] }); // the exit routes withdrawn, still approved
    assert.deepEqual(f.coordinator.listRoutes().map((r) => `${r.prefix} ${r.advertised} ${r.approved}`), ["0.0.0.0/0 false true", `${LAN} true false`, "::/0 false true"]);
    const forgotten = f.coordinator.rejectRoutes("gw", "exit-node");
    assert.deepEqual(forgotten.changed, ["0.0.0.0/0", "::/0"]);
    assert.deepEqual(f.coordinator.listRoutes().map((r) => r.prefix), [LAN], "no longer advertised, no longer approved: gone");
    assert.deepEqual(f.store.audit.recent(3).map((e) => `${e.action} ${e.detail}`), [
      "route-reject gw ::/0 (no longer advertised: forgotten)", "route-reject gw 0.0.0.0/0 (no longer advertised: forgotten)", `route-reject gw ${LAN}`,
    ]);
  } finally {
    f.close();
  }
});

test("routes: a rejection holds against the auto-approve policy while the route stays advertised", async () => {
  const { f, gw, gwReport } = await setUp({ autoApproveRoutes: ["192.168.0.0/16"] });
  try {
    assert.equal(f.coordinator.listRoutes().find((r) => r.prefix === LAN)?.approved, true);
    f.coordinator.rejectRoutes("gw", [LAN]);
    await gw.call({ op: "report", ...gwReport, endpoints: ["192.0.2.7:1"] });
    assert.equal(f.coordinator.listRoutes().find((r) => r.prefix === LAN)?.approved, false);
  } finally {
    f.close();
  }
});

test("routes: primary is true on the subnet's elected router only, and on every approved exit node", async () => {
  const { f } = await setUp({ autoApproveRoutes: ["192.168.0.0/16"], autoApproveExitNodes: true });
  try {
    await f.client().call({ op: "enroll", authKey: f.key(), ...report, hostname: "gw-2", routes: [LAN, "0.0.0.0/0", "::/0"] });
    f.parts.publisher.flush();
    assert.deepEqual(f.coordinator.listRoutes().filter((r) => r.primary).map((r) => `${r.node} ${r.prefix}`), [
      "gw 0.0.0.0/0", `gw ${LAN}`, "gw ::/0", "gw-2 0.0.0.0/0", "gw-2 ::/0",
    ]);
  } finally {
    f.close();
  }
});
