// The subnet router's orchestration on fake effects (test/fakes/router-effects.ts): the order
// of table and forwarding changes, idempotent updates, one change at a time, stop() restoring
// exactly what was changed, and failures that reject the call and leave a state the next
// update repairs.

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAdvertisedRoutes } from "../../src/net/subnet-route.js";
import { parseIpPrefix } from "../../src/net/ip-prefix.js";
import { RouterRulesError } from "../../src/router/router-rules.js";
import { createSubnetRouter, type RouterConfig, type SubnetRouter } from "../../src/router/subnet-router.js";
import { FakeRouterEffects } from "../fakes/router-effects.js";

const TABLE = "meshgate_meshgate0";
const config = (routes: string, options: Partial<Omit<RouterConfig, "routes">> = {}): RouterConfig => ({
  routes: parseAdvertisedRoutes(routes),
  exitNode: options.exitNode ?? false,
  snat: options.snat ?? true,
});

function setup(): { router: SubnetRouter; effects: FakeRouterEffects; log: string[] } {
  const effects = new FakeRouterEffects();
  const log: string[] = [];
  return { router: createSubnetRouter({ meshInterface: "meshgate0", effects, log: (line) => log.push(line) }), effects, log };
}

test("a route: the table goes in first, then IPv4 forwarding is switched on (IPv6 left alone)", async () => {
  const { router, effects, log } = setup();
  await router.update(config("192.168.1.0/24"));
  assert.deepEqual(effects.calls, ["applyNftScript", "readSysctl net.ipv4.ip_forward", "writeSysctl net.ipv4.ip_forward=1"]);
  assert.match(effects.tables.get(TABLE)!, /ip daddr 192\.168\.1\.0\/24 accept/);
  assert.deepEqual(effects.sysctls, { "net.ipv4.ip_forward": "1", "net.ipv6.conf.all.forwarding": "0" });
  assert.deepEqual(log, ["router: table inet meshgate_meshgate0 loaded (1 route, masquerading into the LAN)", "router: net.ipv4.ip_forward 0 → 1"]);
});

test("the same config again changes nothing (no nft run, so the drop counter keeps counting)", async () => {
  const { router, effects } = setup();
  await router.update(config("192.168.1.0/24"));
  const before = effects.calls.length;
  await router.update(config("192.168.1.0/24"));
  await router.update({ ...config("192.168.1.0/24") });
  assert.equal(effects.calls.length, before);
});

test("a changed config replaces the table; forwarding already switched on is not touched again", async () => {
  const { router, effects } = setup();
  await router.update(config("192.168.1.0/24"));
  effects.calls.length = 0;
  await router.update(config("192.168.1.0/24,10.0.0.0/16"));
  assert.deepEqual(effects.calls, ["applyNftScript"]);
  assert.match(effects.tables.get(TABLE)!, /10\.0\.0\.0\/16/);
});

test("nothing left to route: the guard table replaces the rules, then forwarding is put back", async () => {
  const { router, effects, log } = setup();
  await router.update(config("192.168.1.0/24"));
  effects.calls.length = 0;
  await router.update(config(""));
  assert.deepEqual(effects.calls, ["applyNftScript", "writeSysctl net.ipv4.ip_forward=0"]);
  assert.doesNotMatch(effects.tables.get(TABLE)!, /192\.168\.1\.0/);
  assert.match(effects.tables.get(TABLE)!, /counter name "dropped_from_mesh" drop/);
  assert.equal(log.at(-1), "router: net.ipv4.ip_forward restored to 0");
});

test("an exit node needs both families; an IPv6 route only IPv6", async () => {
  const { router, effects } = setup();
  await router.update(config("", { exitNode: true }));
  assert.deepEqual(effects.sysctls, { "net.ipv4.ip_forward": "1", "net.ipv6.conf.all.forwarding": "1" });
  await router.update(config("fd01:1::/64"));
  assert.deepEqual(effects.sysctls, { "net.ipv4.ip_forward": "0", "net.ipv6.conf.all.forwarding": "1" });
});

test("stop() restores only what this router changed, and deletes its table", async () => {
  const { router, effects } = setup();
  effects.sysctls["net.ipv4.ip_forward"] = "1"; // on before meshgate came (say, a container host)
  effects.tables.set("someone_else", "table inet someone_else {}");
  await router.update(config("192.168.1.0/24,fd01:1::/64"));
  assert.ok(!effects.calls.includes("writeSysctl net.ipv4.ip_forward=1"), "already on: not written");
  effects.calls.length = 0;
  await router.stop();
  assert.deepEqual(effects.calls, ["writeSysctl net.ipv6.conf.all.forwarding=0", `deleteNftTable ${TABLE}`]);
  assert.deepEqual(effects.sysctls, { "net.ipv4.ip_forward": "1", "net.ipv6.conf.all.forwarding": "0" });
  assert.deepEqual([...effects.tables.keys()], ["someone_else"]);
});

test("a table left by an earlier run is replaced by the first update, and deleted by stop()", async () => {
  const stale = "table inet meshgate_meshgate0 {} (stale)";
  const updated = setup();
  updated.effects.tables.set(TABLE, stale);
  await updated.router.update(config(""));
  assert.notEqual(updated.effects.tables.get(TABLE), stale);
  const stopped = setup();
  stopped.effects.tables.set(TABLE, stale);
  await stopped.router.stop();
  assert.equal(stopped.effects.tables.size, 0);
  assert.deepEqual(stopped.effects.calls, [`deleteNftTable ${TABLE}`]);
});

test("after stop(), updates are ignored (a late netmap cannot bring the table back)", async () => {
  const { router, effects, log } = setup();
  await router.update(config("192.168.1.0/24"));
  const stopping = router.stop();
  const late = router.update(config("10.0.0.0/16"));
  await Promise.all([stopping, late]);
  assert.equal(effects.tables.size, 0);
  assert.equal(effects.sysctls["net.ipv4.ip_forward"], "0");
  assert.ok(log.includes("router: update after stop() ignored"));
});

test("changes run one at a time, in call order", async () => {
  const { router, effects } = setup();
  const release = effects.holdNft();
  const first = router.update(config("192.168.1.0/24"));
  const second = router.update(config("10.0.0.0/16"));
  const third = router.update(config("172.16.0.0/12", { exitNode: true }));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(effects.calls, [], "held at the first nft call");
  release();
  await Promise.all([first, second, third]);
  assert.equal(effects.maxInFlight, 1);
  assert.deepEqual(effects.calls.filter((call) => call === "applyNftScript").length, 3);
  assert.match(effects.tables.get(TABLE)!, /172\.16\.0\.0\/12/);
  assert.deepEqual(effects.sysctls, { "net.ipv4.ip_forward": "1", "net.ipv6.conf.all.forwarding": "1" });
});

test("nft failing: the call rejects with its error, forwarding is not switched on, and the same config is tried again", async () => {
  const { router, effects } = setup();
  const failure = new Error("nft -f failed: Error: Could not process rule: No such file or directory");
  effects.failNext("applyNftScript", failure);
  await assert.rejects(router.update(config("192.168.1.0/24")), failure);
  assert.equal(effects.tables.size, 0);
  assert.equal(effects.sysctls["net.ipv4.ip_forward"], "0", "never forwarding without the filter");
  await router.update(config("192.168.1.0/24"));
  assert.ok(effects.tables.has(TABLE));
  assert.equal(effects.sysctls["net.ipv4.ip_forward"], "1");
});

test("a failing sysctl write rejects; the next update finishes the job, and stop() restores it", async () => {
  const { router, effects } = setup();
  const failure = new Error("cannot set net.ipv4.ip_forward=1: EACCES");
  effects.failNext("writeSysctl", failure);
  await assert.rejects(router.update(config("192.168.1.0/24")), failure);
  assert.ok(effects.tables.has(TABLE), "the filter is in (harmless without forwarding)");
  assert.equal(effects.sysctls["net.ipv4.ip_forward"], "0");
  await router.update(config("192.168.1.0/24"));
  assert.equal(effects.sysctls["net.ipv4.ip_forward"], "1");
  await router.stop();
  assert.equal(effects.sysctls["net.ipv4.ip_forward"], "0");
});

test("a failed change does not block the ones queued behind it", async () => {
  const { router, effects } = setup();
  effects.failNext("applyNftScript", new Error("boom"));
  const first = router.update(config("192.168.1.0/24"));
  const second = router.update(config("10.0.0.0/16"));
  await assert.rejects(first, /boom/);
  await second;
  assert.match(effects.tables.get(TABLE)!, /10\.0\.0\.0\/16/);
});

test("a stop() that fails can be retried", async () => {
  const { router, effects } = setup();
  await router.update(config("192.168.1.0/24"));
  effects.failNext("deleteNftTable", new Error("nft -f failed"));
  await assert.rejects(router.stop(), /nft -f failed/);
  await router.stop();
  assert.equal(effects.tables.size, 0);
  assert.equal(effects.sysctls["net.ipv4.ip_forward"], "0");
});

test("an invalid config rejects with RouterRulesError and leaves the last state in place", async () => {
  const { router, effects } = setup();
  await router.update(config("192.168.1.0/24"));
  const applied = effects.tables.get(TABLE);
  effects.calls.length = 0;
  const routes = [{ lan: parseIpPrefix("192.168.1.0/24")!, prefix: parseIpPrefix("10.77.0.0/16")! }];
  await assert.rejects(router.update({ routes, exitNode: false, snat: true }), RouterRulesError);
  assert.deepEqual(effects.calls, []);
  assert.equal(effects.tables.get(TABLE), applied);
});

test("IPv6 disabled in the kernel: IPv4 is still routed and the missing switch is logged", async () => {
  const { router, effects, log } = setup();
  effects.sysctls["net.ipv6.conf.all.forwarding"] = null;
  await router.update(config("", { exitNode: true }));
  assert.equal(effects.sysctls["net.ipv4.ip_forward"], "1");
  assert.ok(log.some((line) => /net\.ipv6\.conf\.all\.forwarding does not exist/.test(line)));
  await router.stop();
  assert.equal(effects.sysctls["net.ipv4.ip_forward"], "0");
});

test("an unusable interface name is refused when the router is made", () => {
  assert.throws(() => createSubnetRouter({ meshInterface: "wg*", effects: new FakeRouterEffects(), log: () => undefined }), RouterRulesError);
});
