// The auto-approve policy: which prefixes it covers, what it accepts from the command line, and
// what a changed policy approves at start.

import assert from "node:assert/strict";
import { test } from "node:test";
import { applyChangedAutoApprovePolicy, autoApproves, parseAutoApproveRoute } from "../../src/mesh/auto-approve.js";
import { DEFAULT_COORDINATOR_SETTINGS, type CoordinatorContext, type CoordinatorSettings } from "../../src/mesh/coordinator.js";
import { RouteSpecError } from "../../src/net/subnet-route.js";
import { CoordinatorFixture, report } from "./coordinator-fixture.js";

test("auto-approve: a route is covered when a policy prefix contains it; exit routes only with exit nodes", () => {
  const policy = { autoApproveRoutes: ["192.168.0.0/16", "fd12::/32"], autoApproveExitNodes: false };
  const cases: [string, boolean][] = [
    ["192.168.0.0/16", true],
    ["192.168.1.0/24", true],
    ["192.168.1.7/32", true],
    ["192.0.0.0/8", false], // contains the policy prefix, is not inside it
    ["10.0.0.0/24", false],
    ["fd12:0:3::/64", true],
    ["fd13::/64", false],
    ["0.0.0.0/0", false],
    ["::/0", false],
  ];
  for (const [prefix, covered] of cases) assert.equal(autoApproves(policy, prefix), covered, prefix);
  assert.equal(autoApproves({ autoApproveRoutes: [], autoApproveExitNodes: true }, "0.0.0.0/0"), true);
  assert.equal(autoApproves({ autoApproveRoutes: [], autoApproveExitNodes: true }, "::/0"), true);
  assert.equal(autoApproves({ autoApproveRoutes: [], autoApproveExitNodes: true }, "10.0.0.0/8"), false);
});

test("auto-approve: policy prefixes are canonical subnets, never a default route", () => {
  assert.equal(parseAutoApproveRoute("10.0.0.0/8").cidr, 8);
  const cases: [string, RegExp][] = [
    ["0.0.0.0/0", /default route: use --auto-approve-exit-nodes for exit nodes; to approve every subnet route, list the ranges/],
    ["::/0", /default route/],
    ["10.0.0.1/8", /host bits set: did you mean 10\.0\.0\.0\/8\?/],
    ["10.0.0.0", /not a CIDR prefix/],
    ["127.0.0.0/8", /loopback/],
  ];
  for (const [text, reason] of cases) assert.throws(() => parseAutoApproveRoute(text), (error: unknown) => error instanceof RouteSpecError && reason.test(error.message), text);
});

test("auto-approve at start: a changed policy approves the waiting routes it newly covers, once; narrowing revokes nothing", async () => {
  const f = new CoordinatorFixture();
  try {
    for (const [hostname, routes] of [["a", ["10.1.0.0/16", "172.16.0.0/12"]], ["b", ["10.2.0.0/16", "0.0.0.0/0", "::/0"]]] as const) {
      await f.client().call({ op: "enroll", authKey: f.key(), ...report, hostname, routes: [...routes] });
    }
    const b = f.store.nodes.byName("b")!;
    f.store.routes.set(b.id, "10.2.0.0/16", true, false); // waiting
    const context = (settings: Partial<CoordinatorSettings>): CoordinatorContext => ({
      store: f.store, publicKey: f.identity.publicKey, pool: { ipv4: { family: 4, address: new Uint8Array([100, 64, 0, 0]), cidr: 10 }, ipv6: { family: 6, address: new Uint8Array(16), cidr: 48 } },
      random: f.noise.random, now: () => f.wallClock, schedule: () => () => {}, settings: { ...DEFAULT_COORDINATOR_SETTINGS, ...settings }, log: () => {},
    });
    const approved = () => f.store.routes.list().filter((row) => row.approved).map((row) => row.prefix).sort();
    assert.equal(applyChangedAutoApprovePolicy(context({})), 0, "no policy, none before: nothing to do");
    assert.deepEqual(approved(), []);
    assert.equal(applyChangedAutoApprovePolicy(context({ autoApproveRoutes: ["10.0.0.0/8"] })), 2);
    assert.deepEqual(approved(), ["10.1.0.0/16", "10.2.0.0/16"]);
    assert.equal(f.store.audit.recent(5).filter((entry) => entry.action === "route-auto-approve").length, 2);
    f.store.routes.set(b.id, "10.2.0.0/16", true, false); // an admin rejects it under this policy
    assert.equal(applyChangedAutoApprovePolicy(context({ autoApproveRoutes: ["10.0.0.0/8"] })), 0, "the same policy again: the rejection holds");
    assert.equal(applyChangedAutoApprovePolicy(context({ autoApproveRoutes: ["10.0.0.0/8", "172.16.0.0/12"], autoApproveExitNodes: true })), 3, "widened: only what it newly covers");
    assert.deepEqual(approved(), ["0.0.0.0/0", "10.1.0.0/16", "172.16.0.0/12", "::/0"]);
    assert.equal(applyChangedAutoApprovePolicy(context({})), 0, "narrowed to nothing");
    assert.deepEqual(approved(), ["0.0.0.0/0", "10.1.0.0/16", "172.16.0.0/12", "::/0"], "approvals stay");
    assert.throws(() => applyChangedAutoApprovePolicy(context({ autoApproveRoutes: ["10.0.0.1/8"] })), RouteSpecError, "a bad policy stops the start");
  } finally {
    f.close();
  }
});
