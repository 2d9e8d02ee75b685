// The exit-node / wg-quick policy routing plan: which rules, in which order, for which family.

import assert from "node:assert/strict";
import { test } from "node:test";
import { planDefaultRouteRouting } from "../../src/router/policy-routing.js";

const rules = (plan: ReturnType<typeof planDefaultRouteRouting>) => plan.rules.map((rule) => `-${rule.family} ${rule.args.join(" ")}`);

test("without LAN access: bypass the coordinator, everything unmarked into the table", () => {
  const plan = planDefaultRouteRouting({ interfaceName: "mg0", table: 52820, fwmark: 52820, families: [4, 6], allowLocalNetworks: false, bypass: ["192.0.2.7", "2001:db8::7"] });
  assert.deepEqual(plan.routes, [{ family: 4, prefix: "0.0.0.0/0", table: 52820 }, { family: 6, prefix: "::/0", table: 52820 }]);
  assert.deepEqual(rules(plan), [
    "-4 pref 5200 to 192.0.2.7 lookup main",
    "-4 pref 5220 not fwmark 0xce54 lookup 52820",
    "-6 pref 5200 to 2001:db8::7 lookup main",
    "-6 pref 5220 not fwmark 0xce54 lookup 52820",
  ]);
});

test("with LAN access (wg-quick's way): main's specific routes win first", () => {
  const plan = planDefaultRouteRouting({ interfaceName: "wg0", table: 51820, fwmark: 51820, families: [4], allowLocalNetworks: true, bypass: [] });
  assert.deepEqual(rules(plan), ["-4 pref 5210 lookup main suppress_prefixlength 0", "-4 pref 5220 not fwmark 0xca6c lookup 51820"]);
  assert.deepEqual(plan.routes, [{ family: 4, prefix: "0.0.0.0/0", table: 51820 }]);
});
