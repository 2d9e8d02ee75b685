// What `meshgate wg up` decides from a wg-quick file, before touching the system.

import assert from "node:assert/strict";
import { test } from "node:test";
import { configPathFor, interfaceNameFor, planWgQuick, WgQuickPlanError } from "../../src/interface/wg-quick-plan.js";
import { parseWireGuardConfig } from "../../src/wireguard/config.js";

const KEY = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
const PEER = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";

function plan(text: string, path = "/etc/wireguard/wg0.conf") {
  return planWgQuick(path, parseWireGuardConfig(text, path));
}

test("name, MTU, addresses and one route per distinct AllowedIP", () => {
  const result = plan(
    `[Interface]\nPrivateKey = ${KEY}\nAddress = 10.0.0.1/24, fd00::1/64\n` +
      `[Peer]\nPublicKey = ${PEER}\nAllowedIPs = 10.0.0.2/32, 192.168.1.0/24, fd00::2/128\n`,
  );
  assert.equal(result.interfaceName, "wg0");
  assert.equal(result.mtu, 1420);
  assert.deepEqual(result.addresses, ["10.0.0.1/24", "fd00::1/64"]);
  assert.deepEqual(result.routes, ["10.0.0.2/32", "192.168.1.0/24", "fd00::2/128"]);
  assert.deepEqual(result.warnings, []);
});

test("Table = off adds no routes; a named table receives them; ignored fields are reported", () => {
  const off = plan(`[Interface]\nPrivateKey = ${KEY}\nTable = off\nMTU = 1280\nDNS = 1.1.1.1\nPostUp = echo hi\n[Peer]\nPublicKey = ${PEER}\nAllowedIPs = 0.0.0.0/0\n`);
  assert.deepEqual(off.routes, []);
  assert.equal(off.mtu, 1280);
  assert.equal(off.warnings.length, 2);
  assert.match(off.warnings[0]!, /DNS/);
  const table = plan(`[Interface]\nPrivateKey = ${KEY}\nTable = 1234\n[Peer]\nPublicKey = ${PEER}\nAllowedIPs = 10.9.0.0/16\n`);
  assert.equal(table.routeTable, "1234");
});

test("a default route goes by policy routing: its own table, the mark on the socket, the rest in main", () => {
  const both = plan(`[Interface]\nPrivateKey = ${KEY}\n[Peer]\nPublicKey = ${PEER}\nAllowedIPs = 0.0.0.0/0, ::/0, 10.9.0.0/16\n`);
  assert.deepEqual(both.defaultRoutes, { table: 51820, fwmark: 51820, families: [4, 6] });
  assert.equal(both.fwmark, 51820);
  assert.deepEqual(both.routes, ["10.9.0.0/16"], "the default routes are not in the main table");
  const marked = plan(`[Interface]\nPrivateKey = ${KEY}\nFwMark = 0x1234\n[Peer]\nPublicKey = ${PEER}\nAllowedIPs = ::/0\n`);
  assert.deepEqual(marked.defaultRoutes, { table: 0x1234, fwmark: 0x1234, families: [6] });
  const named = plan(`[Interface]\nPrivateKey = ${KEY}\nTable = 1234\n[Peer]\nPublicKey = ${PEER}\nAllowedIPs = 0.0.0.0/0\n`);
  assert.equal(named.defaultRoutes, null, "an explicit table takes every route, as with wg-quick");
  assert.deepEqual(named.routes, ["0.0.0.0/0"]);
  const plain = plan(`[Interface]\nPrivateKey = ${KEY}\nFwMark = 7\n[Peer]\nPublicKey = ${PEER}\nAllowedIPs = 10.0.0.2/32\n`);
  assert.equal(plain.defaultRoutes, null);
  assert.equal(plain.fwmark, 7);
});

test("refused: no private key, a bad interface name", () => {
  assert.throws(() => plan(`[Interface]\nListenPort = 1\n`), WgQuickPlanError);
  assert.throws(() => interfaceNameFor("/tmp/this-name-is-too-long.conf"), /not a usable interface name/);
  assert.equal(configPathFor("wg1"), "/etc/wireguard/wg1.conf");
  assert.equal(configPathFor("./here.conf"), "./here.conf");
});
