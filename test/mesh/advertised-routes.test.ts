// Advertised routes from reports to the store: advertise, withdraw, an approval kept across a
// withdrawal, refusals with reasons, the auto-approve policy (as routes arrive, and when it
// changes between runs).

import assert from "node:assert/strict";
import { test } from "node:test";
import { ControlRefusal, type ControlClient } from "../../src/mesh/control-client.js";
import { CoordinatorFixture, report } from "./coordinator-fixture.js";

const rows = (f: CoordinatorFixture, name: string): string[] => {
  const node = f.store.nodes.byName(name)!;
  return f.store.routes.forNode(node.id).map((row) => `${row.prefix}${row.advertised ? " advertised" : ""}${row.approved ? " approved" : ""}`);
};

async function enroll(f: CoordinatorFixture, hostname: string, routes?: string[]): Promise<ControlClient> {
  const client = f.client();
  await client.call({ op: "enroll", authKey: f.key(), ...report, hostname, ...(routes !== undefined ? { routes } : {}) });
  return client;
}

test("advertised routes: stored on enroll and report, withdrawn ones deleted unless approved, an approval kept for a re-advertisement", async () => {
  const f = new CoordinatorFixture();
  try {
    const gw = await enroll(f, "gw", ["192.168.1.0/24"]);
    assert.deepEqual(rows(f, "gw"), ["192.168.1.0/24 advertised"]);
    assert.match(f.logs.join("\n"), /gw advertises 192\.168\.1\.0\/24, waiting for approval: meshgate routes approve gw 192\.168\.1\.0\/24/);
    await gw.call({ op: "report", ...report, hostname: "gw", routes: ["192.168.1.0/24", "10.1.0.0/16", "0.0.0.0/0", "::/0"] });
    assert.deepEqual(rows(f, "gw"), ["0.0.0.0/0 advertised", "10.1.0.0/16 advertised", "192.168.1.0/24 advertised", "::/0 advertised"]);
    assert.equal(f.logs.filter((line) => line === "gw offers to be an exit node, waiting for approval: meshgate routes approve gw exit-node").length, 1);
    f.store.routes.set(f.store.nodes.byName("gw")!.id, "192.168.1.0/24", true, true); // an admin's approval
    await gw.call({ op: "report", ...report, hostname: "gw" }); // no routes field: none advertised
    assert.deepEqual(rows(f, "gw"), ["192.168.1.0/24 approved"], "the unapproved ones are gone, the approved one waits");
    await gw.call({ op: "report", ...report, hostname: "gw", routes: ["192.168.1.0/24"] });
    assert.deepEqual(rows(f, "gw"), ["192.168.1.0/24 advertised approved"], "back without a new approval");
    const entry = (await gw.call({ op: "poll", version: 0 }));
    assert.ok(entry.op === "poll" && entry.update.kind === "full");
    assert.deepEqual(entry.update.self.routes, ["192.168.1.0/24"]);
  } finally {
    f.close();
  }
});

test("advertised routes: an invalid route refuses the report with the route and the reason, and nothing is stored", async () => {
  const f = new CoordinatorFixture();
  try {
    const gw = await enroll(f, "gw", ["192.168.1.0/24"]);
    const cases: [string, RegExp][] = [
      ["not-a-cidr", /"not-a-cidr" is not a CIDR prefix/],
      ["192.168.1.1/24", /"192\.168\.1\.1\/24" has host bits set: did you mean 192\.168\.1\.0\/24\?/],
      ["100.64.0.0/12", /"100\.64\.0\.0\/12" overlaps the mesh's own addresses 100\.64\.0\.0\/10/],
      ["fd00:1:2:3::/64", /overlaps the mesh's own addresses fd00:1:2::\/48/],
      ["0.0.0.0/1", /overlaps 127\.0\.0\.0\/8 \(loopback\)/],
      ["::0/0", /"::0\/0" is written unusually: write it as ::\/0/], // a default route, as a subnet route
      ["10.0.0.0/0", /has host bits set: did you mean 0\.0\.0\.0\/0\?/],
    ];
    for (const [route, reason] of cases) {
      await assert.rejects(gw.call({ op: "report", ...report, hostname: "gw", endpoints: ["192.0.2.99:1"], routes: ["10.9.0.0/16", route] }), (error: unknown) => {
        assert.ok(error instanceof ControlRefusal, String(error));
        assert.equal(error.status, 400);
        assert.match(error.message, /^advertised route refused: /);
        assert.match(error.message, reason);
        return true;
      }, route);
    }
    assert.deepEqual(rows(f, "gw"), ["192.168.1.0/24 advertised"], "no route of a refused report is stored");
    assert.deepEqual(f.store.nodes.byName("gw")!.endpoints, report.endpoints, "nor its endpoints");
    await assert.rejects(enroll(f, "bad", ["192.168.1.1/24"]), /host bits set/);
    assert.equal(f.store.nodes.byName("bad"), null, "a refused enrollment creates no node");
  } finally {
    f.close();
  }
});

test("auto-approve: routes inside the policy are approved (and audited), routes outside wait; exit nodes only with the flag", async () => {
  const f = new CoordinatorFixture({ settings: { autoApproveRoutes: ["192.168.0.0/16", "fd12::/32"] } });
  try {
    await enroll(f, "gw", ["192.168.1.0/24", "192.168.0.0/16", "10.0.0.0/24", "fd12:0:3::/64", "0.0.0.0/0", "::/0"]);
    assert.deepEqual(rows(f, "gw"), [
      "0.0.0.0/0 advertised", "10.0.0.0/24 advertised", "192.168.0.0/16 advertised approved", "192.168.1.0/24 advertised approved", "::/0 advertised", "fd12:0:3::/64 advertised approved",
    ]);
    assert.deepEqual(f.store.audit.recent(10).filter((entry) => entry.action === "route-auto-approve").map((entry) => entry.detail).sort(), [
      "gw 192.168.0.0/16", "gw 192.168.1.0/24", "gw fd12:0:3::/64",
    ]);
  } finally {
    f.close();
  }
  const exits = new CoordinatorFixture({ settings: { autoApproveExitNodes: true } });
  try {
    await enroll(exits, "exit", ["0.0.0.0/0", "::/0", "10.0.0.0/24"]);
    assert.deepEqual(rows(exits, "exit"), ["0.0.0.0/0 advertised approved", "10.0.0.0/24 advertised", "::/0 advertised approved"]);
  } finally {
    exits.close();
  }
});
