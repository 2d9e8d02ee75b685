// Advertised route text: LAN or LAN=MESH, each refusal with the reason a person can act on.

import assert from "node:assert/strict";
import { test } from "node:test";
import { formatIpPrefix, parseIpPrefix } from "../../src/net/ip-prefix.js";
import {
  parseAdvertisedRoutes, parseRoutePrefix, prefixContains, prefixesOverlap, reportedRoutes, RouteSpecError, isTranslated, type AdvertisedRoute,
} from "../../src/net/subnet-route.js";

const written = (route: AdvertisedRoute): string =>
  isTranslated(route) ? `${formatIpPrefix(route.lan)}=${formatIpPrefix(route.prefix)}` : formatIpPrefix(route.prefix);
const MESH = [parseIpPrefix("100.64.0.0/10")!, parseIpPrefix("fd7a:115c:a1e0::/48")!];
const p = (text: string) => parseIpPrefix(text)!;

test("plain and translated routes parse; the mesh sees only the mesh-facing prefix", () => {
  const routes = parseAdvertisedRoutes("10.0.0.0/16, 192.168.1.0/24=10.77.1.0/24", MESH);
  assert.deepEqual(routes.map(written), ["10.0.0.0/16", "192.168.1.0/24=10.77.1.0/24"]);
  assert.deepEqual(routes.map((route) => formatIpPrefix(route.lan)), ["10.0.0.0/16", "192.168.1.0/24"]);
  assert.deepEqual(reportedRoutes(routes, false), ["10.0.0.0/16", "10.77.1.0/24"]);
  assert.deepEqual(reportedRoutes(routes, true), ["10.0.0.0/16", "10.77.1.0/24", "0.0.0.0/0", "::/0"]);
  assert.deepEqual(parseAdvertisedRoutes("", MESH), []);
  assert.equal(written(parseAdvertisedRoutes("fd12:3456::/64", MESH)[0]!), "fd12:3456::/64");
});

test("refused with a reason: not a prefix, host bits, default, reserved, the mesh's own, mismatched translation, overlap", () => {
  const refused: [string, RegExp][] = [
    ["192.168.1.0", /not a CIDR prefix/],
    ["192.168.1.300/24", /not a CIDR prefix/],
    ["192.168.1.1/24", /host bits set: did you mean 192\.168\.1\.0\/24/],
    ["0.0.0.0/0", /--advertise-exit-node/],
    ["127.0.0.0/8", /loopback/],
    ["fe80::/64", /link-local/],
    ["100.64.0.0/16", /mesh's own addresses 100\.64\.0\.0\/10/],
    ["fd7a:115c:a1e0:1::/64", /mesh's own/],
    ["192.168.1.0/24=10.77.0.0/16", /same size and family/],
    ["192.168.1.0/24=fd00::/24", /same size and family/],
    ["10.0.0.0/8,10.1.0.0/16", /overlaps 10\.0\.0\.0\/8/],
    ["10.0.0.0/8=a=b", /LAN or LAN=MESH/],
  ];
  for (const [text, reason] of refused) {
    assert.throws(() => parseAdvertisedRoutes(text, MESH), (error: Error) => error instanceof RouteSpecError && reason.test(error.message), text);
  }
  assert.throws(() => parseRoutePrefix("::ffff:1/0"), RouteSpecError);
  const many = Array.from({ length: 65 }, (_, i) => `10.${i}.0.0/16`).join(",");
  assert.throws(() => parseAdvertisedRoutes(many), /at most 64/);
});

test("containment and overlap", () => {
  assert.ok(prefixContains(p("10.0.0.0/8"), p("10.1.0.0/16")));
  assert.ok(!prefixContains(p("10.1.0.0/16"), p("10.0.0.0/8")));
  assert.ok(prefixContains(p("0.0.0.0/0"), p("192.0.2.1/32")));
  assert.ok(!prefixContains(p("10.0.0.0/8"), p("fd00::/8")));
  assert.ok(prefixesOverlap(p("10.1.0.0/16"), p("10.0.0.0/8")));
  assert.ok(!prefixesOverlap(p("10.0.0.0/9"), p("10.128.0.0/9")));
  assert.ok(prefixContains(p("fd00::/8"), p("fd12:3456::/64")));
});
