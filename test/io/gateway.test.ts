// The default gateway from /proc/net/route and this host's address toward it; which addresses
// count as on a link of this host.

import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import type { NetworkInterfaceInfo } from "node:os";
import { test } from "node:test";
import { findGatewayRoute, isOnLink, localAddressToward, parseProcNetRoute } from "../../src/io/gateway.js";

// A home host's table (little-endian x86/ARM): default via 192.168.1.1 on eth0 (metric 100),
// a second default via 10.0.0.1 on wlan0 (metric 600), the on-link routes, one down route.
const ROUTE_TABLE = [
  "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT",
  "wlan0\t00000000\t0100000A\t0003\t0\t0\t600\t00000000\t0\t0\t0",
  "eth0\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0",
  "eth0\t0001A8C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0",
  "wg0\t00000000\t0202A8C0\t0002\t0\t0\t50\t00000000\t0\t0\t0",
  "tun0\t00000000\t00000000\t0001\t0\t0\t10\t00000000\t0\t0\t0",
  "",
].join("\n");

test("/proc/net/route: default routes through a gateway that are up, lowest metric first", () => {
  assert.deepEqual(parseProcNetRoute(ROUTE_TABLE, true), [
    { interfaceName: "eth0", gateway: "192.168.1.1", metric: 100 },
    { interfaceName: "wlan0", gateway: "10.0.0.1", metric: 600 },
  ]);
  // A big-endian host prints the same address the other way round.
  assert.deepEqual(parseProcNetRoute("Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\neth0\t00000000\tC0A80101\t0003\t0\t0\t0\t00000000\n", false), [
    { interfaceName: "eth0", gateway: "192.168.1.1", metric: 0 },
  ]);
});

test("/proc/net/route: no default route, or lines that are not routes, give nothing", () => {
  assert.deepEqual(parseProcNetRoute(ROUTE_TABLE.split("\n").filter((line) => !line.includes("\t00000000\t0")).join("\n"), true), []);
  assert.deepEqual(parseProcNetRoute("", true), []);
  assert.deepEqual(parseProcNetRoute("header\ngarbage line\neth0 00000000 XYZ 0003 0 0 0 00000000\n", true), []);
});

const info = (address: string, netmask: string, internal = false): NetworkInterfaceInfo =>
  ({ address, netmask, family: "IPv4", mac: "00:00:00:00:00:00", internal, cidr: null }) as NetworkInterfaceInfo;
const INTERFACES = {
  lo: [info("127.0.0.1", "255.0.0.0", true)],
  eth0: [
    info("172.16.5.4", "255.255.0.0"),
    info("192.168.1.2", "255.255.255.0"),
    { address: "fe80::1", netmask: "ffff:ffff:ffff:ffff::", family: "IPv6", mac: "00:00:00:00:00:00", internal: false, cidr: null, scopeid: 2 } as NetworkInterfaceInfo,
  ],
  ppp0: [info("100.72.1.9", "255.255.255.255")],
};

test("the local address toward a gateway: the one whose subnet holds it, else the interface's first", () => {
  assert.equal(localAddressToward("192.168.1.1", "eth0", INTERFACES), "192.168.1.2");
  assert.equal(localAddressToward("172.16.0.1", "eth0", INTERFACES), "172.16.5.4");
  assert.equal(localAddressToward("100.64.0.1", "ppp0", INTERFACES), "100.72.1.9", "a point-to-point link");
  assert.equal(localAddressToward("192.168.1.1", "wlan0", INTERFACES), null);
});

test("on a link: inside one of this host's non-loopback IPv4 subnets", () => {
  assert.equal(isOnLink("192.168.1.1", INTERFACES), true);
  assert.equal(isOnLink("172.16.200.1", INTERFACES), true);
  assert.equal(isOnLink("192.168.2.1", INTERFACES), false);
  assert.equal(isOnLink("127.0.0.1", INTERFACES), false, "loopback is not a LAN");
  assert.equal(isOnLink("8.8.8.8", INTERFACES), false);
  assert.equal(isOnLink("router.lan", INTERFACES), false);
});

test("on this machine: a route with an address of ours, or none", async () => {
  const route = await findGatewayRoute();
  if (!existsSync("/proc/net/route")) assert.equal(route, null);
  if (route !== null) assert.ok(isOnLink(route.localAddress), JSON.stringify(route));
});
