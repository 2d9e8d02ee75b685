// Routing prefs: changes checked field by field, saved text read back, nothing half-changed.

import assert from "node:assert/strict";
import { test } from "node:test";
import { changeRoutingPrefs, DEFAULT_ROUTING_PREFS, loadRoutingPrefs, parseRoutingPrefsChange, RoutingPrefsError } from "../../src/mesh/routing-prefs.js";
import { parseIpPrefix } from "../../src/net/ip-prefix.js";

const MESH = [parseIpPrefix("100.64.0.0/10")!];

test("a change applies over the current prefs; an empty exit node clears it; saved text round-trips", () => {
  const routed = changeRoutingPrefs(DEFAULT_ROUTING_PREFS, { advertiseRoutes: ["192.168.1.0/24=10.77.1.0/24"], snatSubnetRoutes: false }, MESH);
  assert.deepEqual(routed.advertiseRoutes, ["192.168.1.0/24=10.77.1.0/24"]);
  assert.equal(routed.snatSubnetRoutes, false);
  assert.equal(routed.acceptRoutes, true, "untouched fields keep their value");
  const exiting = changeRoutingPrefs(routed, { exitNode: " home ", exitNodeAllowLanAccess: true });
  assert.equal(exiting.exitNode, "home");
  assert.equal(changeRoutingPrefs(exiting, { exitNode: "" }).exitNode, null);
  assert.deepEqual(loadRoutingPrefs(JSON.stringify(exiting)), exiting);
  assert.deepEqual(loadRoutingPrefs(null), DEFAULT_ROUTING_PREFS);
});

test("refusals name the field: bad routes, a bad exit node, exit node and advertising one at once", () => {
  const refused: [unknown, string, RegExp][] = [
    [{ advertiseRoutes: ["192.168.1.1/24"] }, "advertiseRoutes", /--advertise-routes: .*host bits/],
    [{ advertiseRoutes: ["100.64.1.0/24"] }, "advertiseRoutes", /mesh's own/],
    [{ exitNode: "not a name!" }, "exitNode", /neither a node name nor a mesh address/],
    [{ exitNode: "home", advertiseExitNode: true }, "exitNode", /exclude each other/],
    [{ exitNodeAllowLanAccess: true }, "exitNodeAllowLanAccess", /only applies with --exit-node/],
  ];
  for (const [change, field, reason] of refused) {
    assert.throws(
      () => changeRoutingPrefs(DEFAULT_ROUTING_PREFS, parseRoutingPrefsChange(change), MESH),
      (error: Error) => error instanceof RoutingPrefsError && error.field === field && reason.test(error.message),
      JSON.stringify(change),
    );
  }
});

test("API bodies of the wrong shape are refused before anything is looked at", () => {
  for (const body of [null, [], "x", { advertiseRoutes: "10.0.0.0/8" }, { acceptRoutes: "yes" }, { exitNode: 5 }, { colour: "blue" }]) {
    assert.throws(() => parseRoutingPrefsChange(body), RoutingPrefsError, JSON.stringify(body));
  }
  assert.deepEqual(parseRoutingPrefsChange({ exitNode: null, acceptRoutes: false }), { exitNode: null, acceptRoutes: false });
});
