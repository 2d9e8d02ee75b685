// Which of the mesh's routes a node uses, and why not when it does not.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Netmap, NetmapNode } from "../../src/mesh/netmap.js";
import { selectRoutes } from "../../src/mesh/route-selection.js";
import { formatIpPrefix, parseIpPrefix } from "../../src/net/ip-prefix.js";

const node = (n: number, name: string, routes: string[], online = true): NetmapNode => ({
  nodeKey: `key${n}`, name, ipv4: `100.64.0.${n}`, ipv6: `fd7a::${n}`, endpoints: [], routes, online, keyExpiresAt: null, nat: null, relayPort: null,
});
const map = (...peers: NetmapNode[]): Netmap => ({ version: 1, self: node(9, "self", []), peers });
const HOME_LAN = [parseIpPrefix("192.168.1.0/24")!];
const routesOf = (selection: ReturnType<typeof selectRoutes>, key: string) => (selection.peerRoutes.get(key) ?? []).map(formatIpPrefix);

test("accepted subnet routes go to their router's AllowedIPs and the kernel; one inside a local network does not", () => {
  const selection = selectRoutes(map(node(1, "pi", ["10.77.1.0/24", "192.168.1.0/24"]), node(2, "nas", [])), { acceptRoutes: true, exitNode: null, localNetworks: HOME_LAN });
  assert.deepEqual(routesOf(selection, "key1"), ["10.77.1.0/24"]);
  assert.deepEqual(selection.kernelRoutes, ["10.77.1.0/24"]);
  assert.deepEqual(selection.subnetRoutes, [
    { prefix: "10.77.1.0/24", via: "pi", installed: true, reason: null },
    { prefix: "192.168.1.0/24", via: "pi", installed: false, reason: "inside this node's own network 192.168.1.0/24" },
  ]);
  assert.equal(selection.exitNode, null);
});

test("--accept-routes=false takes none, and says so", () => {
  const selection = selectRoutes(map(node(1, "pi", ["10.77.1.0/24"])), { acceptRoutes: false, exitNode: null, localNetworks: [] });
  assert.equal(selection.peerRoutes.size, 0);
  assert.deepEqual(selection.kernelRoutes, []);
  assert.match(selection.subnetRoutes[0]!.reason!, /accept-routes=false/);
});

test("exit routes: only on the chosen exit node, found by name or mesh address; never as kernel routes", () => {
  const peers = [node(1, "home", ["0.0.0.0/0", "::/0"]), node(2, "office", ["0.0.0.0/0", "::/0"])];
  for (const reference of ["home", "HOME", "100.64.0.1", "fd7a::1", "fd7a:0::1"]) {
    const selection = selectRoutes(map(...peers), { acceptRoutes: true, exitNode: reference, localNetworks: [] });
    assert.deepEqual(routesOf(selection, "key1"), ["0.0.0.0/0", "::/0"], reference);
    assert.deepEqual(routesOf(selection, "key2"), [], "an exit node not chosen carries nothing");
    assert.deepEqual(selection.kernelRoutes, []);
    assert.deepEqual(selection.exitNode, { requested: reference, name: "home", ipv4: "100.64.0.1", online: true, active: true, reason: null });
  }
});

test("an exit node that is unknown, not approved or offline: not active or offline, with the reason", () => {
  const unknown = selectRoutes(map(), { acceptRoutes: true, exitNode: "gone", localNetworks: [] }).exitNode!;
  assert.equal(unknown.active, false);
  assert.equal(unknown.reason, 'no node "gone" in the mesh');
  const plain = selectRoutes(map(node(1, "home", [])), { acceptRoutes: true, exitNode: "home", localNetworks: [] });
  assert.equal(plain.exitNode!.active, false);
  assert.match(plain.exitNode!.reason!, /not an approved exit node/);
  assert.equal(plain.peerRoutes.size, 0);
  const offline = selectRoutes(map(node(1, "home", ["0.0.0.0/0", "::/0"], false)), { acceptRoutes: true, exitNode: "home", localNetworks: [] });
  assert.equal(offline.exitNode!.online, false);
  assert.match(offline.exitNode!.reason!, /offline/);
});
