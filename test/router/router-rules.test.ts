// The subnet router's nftables script, feature by feature: a plain subnet route, a translated
// (overlapping) one, an exit node, snat off, IPv6, and nothing to route. The whole script is
// pinned once; the other cases look at the chains they change.

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAdvertisedRoutes } from "../../src/net/subnet-route.js";
import { parseIpPrefix } from "../../src/net/ip-prefix.js";
import { RouterRulesError, routerRuleset, routerTableName } from "../../src/router/router-rules.js";
import type { RouterConfig } from "../../src/router/subnet-router.js";

const MESH = "meshgate0";
const config = (routes: string, options: Partial<Omit<RouterConfig, "routes">> = {}): RouterConfig => ({
  routes: parseAdvertisedRoutes(routes),
  exitNode: options.exitNode ?? false,
  snat: options.snat ?? true,
});

// The rules of chain `name` (without its braces and its type line), or null when absent.
function chain(script: string, name: string): string[] | null {
  const lines = script.split("\n").map((line) => line.trim());
  const start = lines.indexOf(`chain ${name} {`);
  if (start === -1) return null;
  const end = lines.indexOf("}", start);
  return lines.slice(start + 1, end).filter((line) => !line.startsWith("type "));
}

const rules = (routes: string, options?: Partial<Omit<RouterConfig, "routes">>): string => {
  const script = routerRuleset(MESH, config(routes, options));
  assert.ok(script !== null);
  return script;
};

test("a subnet route: the whole script replaces meshgate's own table in one transaction", () => {
  assert.equal(
    rules("192.168.1.0/24"),
    `table inet meshgate_meshgate0 {}
delete table inet meshgate_meshgate0
table inet meshgate_meshgate0 {
  counter dropped_from_mesh {}

  chain mss_clamp {
    type filter hook forward priority mangle; policy accept;
    iifname "meshgate0" tcp flags syn / syn,rst tcp option maxseg size set rt mtu
    oifname "meshgate0" tcp flags syn / syn,rst tcp option maxseg size set rt mtu
  }

  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "meshgate0" jump from_mesh
  }

  chain from_mesh {
    ct direction reply accept
    ct state related accept
    ip daddr 192.168.1.0/24 accept
    counter name "dropped_from_mesh" drop
  }

  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    iifname "meshgate0" ip daddr 192.168.1.0/24 masquerade
  }
}
`,
  );
});

test("every route is let through from the mesh, and masqueraded into its LAN", () => {
  const script = rules("192.168.1.0/24,10.0.0.0/16");
  assert.deepEqual(chain(script, "from_mesh"), [
    "ct direction reply accept",
    "ct state related accept",
    "ip daddr 192.168.1.0/24 accept",
    "ip daddr 10.0.0.0/16 accept",
    'counter name "dropped_from_mesh" drop',
  ]);
  assert.deepEqual(chain(script, "postrouting"), ['iifname "meshgate0" ip daddr 192.168.1.0/24 masquerade', 'iifname "meshgate0" ip daddr 10.0.0.0/16 masquerade']);
  assert.equal(chain(script, "prerouting"), null, "nothing to translate: no DNAT chain");
});

test("snat off: the mesh's source addresses are kept (no NAT chain at all)", () => {
  const script = rules("192.168.1.0/24", { snat: false });
  assert.equal(chain(script, "postrouting"), null);
  assert.deepEqual(chain(script, "from_mesh")?.[2], "ip daddr 192.168.1.0/24 accept", "still forwarded");
});

test("a translated route: DNAT prefix to the LAN, forwarded by the mesh-facing address, SNAT prefix for the LAN's own connections", () => {
  const script = rules("192.168.1.0/24=10.77.1.0/24");
  assert.deepEqual(chain(script, "prerouting"), ['iifname "meshgate0" ip daddr 10.77.1.0/24 dnat ip prefix to 192.168.1.0/24']);
  assert.deepEqual(chain(script, "from_mesh"), [
    "ct direction reply accept",
    "ct state related accept",
    "ct original ip daddr 10.77.1.0/24 ip daddr 192.168.1.0/24 accept",
    'counter name "dropped_from_mesh" drop',
  ]);
  assert.deepEqual(chain(script, "postrouting"), [
    'oifname "meshgate0" ip saddr 192.168.1.0/24 snat ip prefix to 10.77.1.0/24',
    'iifname "meshgate0" ip daddr 192.168.1.0/24 masquerade',
  ]);
  // Without snat the LAN's connections into the mesh are still translated: the mesh must
  // never see the ambiguous prefix.
  assert.deepEqual(chain(rules("192.168.1.0/24=10.77.1.0/24", { snat: false }), "postrouting"), [
    'oifname "meshgate0" ip saddr 192.168.1.0/24 snat ip prefix to 10.77.1.0/24',
  ]);
});

test("IPv6 routes take the ip6 forms of the same rules", () => {
  const script = rules("fd01:1::/64=fd77:1::/64,2001:db8:5::/48");
  assert.deepEqual(chain(script, "prerouting"), ['iifname "meshgate0" ip6 daddr fd77:1::/64 dnat ip6 prefix to fd01:1::/64']);
  assert.deepEqual(chain(script, "from_mesh")?.slice(2), [
    "ct original ip6 daddr fd77:1::/64 ip6 daddr fd01:1::/64 accept",
    "ip6 daddr 2001:db8:5::/48 accept",
    'counter name "dropped_from_mesh" drop',
  ]);
  assert.deepEqual(chain(script, "postrouting"), [
    'oifname "meshgate0" ip6 saddr fd01:1::/64 snat ip6 prefix to fd77:1::/64',
    'iifname "meshgate0" ip6 daddr fd01:1::/64 masquerade',
    'iifname "meshgate0" ip6 daddr 2001:db8:5::/48 masquerade',
  ]);
});

test("an exit node: anywhere but back into the mesh, masqueraded out of every other interface", () => {
  const script = rules("", { exitNode: true });
  assert.deepEqual(chain(script, "from_mesh"), ["ct direction reply accept", "ct state related accept", 'oifname != "meshgate0" accept', 'counter name "dropped_from_mesh" drop']);
  assert.deepEqual(chain(script, "postrouting"), ['iifname "meshgate0" oifname != "meshgate0" masquerade']);
  assert.ok(chain(script, "mss_clamp")!.length === 2, "clamped like subnet traffic");
});

test("an exit node with snat off keeps mesh sources only towards its subnet routes", () => {
  assert.deepEqual(chain(rules("192.168.1.0/24", { exitNode: true, snat: false }), "postrouting"), [
    'iifname "meshgate0" ip daddr 192.168.1.0/24 accept',
    'iifname "meshgate0" oifname != "meshgate0" masquerade',
  ]);
  assert.deepEqual(chain(rules("192.168.1.0/24", { exitNode: true }), "postrouting"), ['iifname "meshgate0" oifname != "meshgate0" masquerade'], "the exit rule covers the LAN");
});

test("nothing to route: the table is a guard that drops whatever the mesh opens, and translates nothing", () => {
  for (const snat of [true, false]) {
    const script = routerRuleset(MESH, config("", { snat }));
    assert.deepEqual(chain(script, "from_mesh"), ["ct direction reply accept", "ct state related accept", 'counter name "dropped_from_mesh" drop']);
    assert.equal(chain(script, "prerouting"), null);
    assert.equal(chain(script, "postrouting"), null);
  }
});

test("the table is named after the interface, in characters nft takes as an identifier", () => {
  assert.equal(routerTableName("meshgate0"), "meshgate_meshgate0");
  assert.equal(routerTableName("mesh-gate.1"), "meshgate_mesh_gate_1");
  assert.match(rules("192.168.1.0/24").split("\n")[0]!, /^table inet meshgate_meshgate0 \{\}$/);
  for (const bad of ["", "wg*", 'a"b', "a b", "sixteen-chars-xx", "eth0;drop"]) {
    assert.throws(() => routerTableName(bad), RouterRulesError, bad);
    assert.throws(() => routerRuleset(bad, config("192.168.1.0/24")), RouterRulesError, bad);
  }
});

test("a route that cannot be translated 1:1, or a default route, is refused", () => {
  const lan = parseIpPrefix("192.168.1.0/24")!;
  const cases: RouterConfig["routes"][] = [
    [{ lan, prefix: parseIpPrefix("10.77.0.0/16")! }],
    [{ lan, prefix: parseIpPrefix("fd77:1::/24")! }],
    [{ lan: parseIpPrefix("0.0.0.0/0")!, prefix: parseIpPrefix("0.0.0.0/0")! }],
  ];
  for (const routes of cases) assert.throws(() => routerRuleset(MESH, { routes, exitNode: false, snat: true }), RouterRulesError);
});
