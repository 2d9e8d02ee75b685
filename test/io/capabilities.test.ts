import assert from "node:assert/strict";
import { test } from "node:test";
import { hasEffectiveCapability } from "../../src/io/capabilities.js";

const status = (capEff: string): string => `Name:\tnode\nCapInh:\t0000000000000000\nCapPrm:\t${capEff}\nCapEff:\t${capEff}\nCapBnd:\t000001ffffffffff\n`;

test("CAP_NET_ADMIN (bit 12) is read from the CapEff line of /proc/self/status", () => {
  // What systemd's AmbientCapabilities=CAP_NET_ADMIN CAP_NET_BIND_SERVICE gives the image's daemon.
  assert.equal(hasEffectiveCapability(status("0000000000001400"), 12n), true);
  assert.equal(hasEffectiveCapability(status("0000000000000400"), 12n), false); // CAP_NET_BIND_SERVICE alone
  assert.equal(hasEffectiveCapability(status("000001ffffffffff"), 12n), true); // root
  assert.equal(hasEffectiveCapability(status("0000000000000000"), 12n), false);
  assert.equal(hasEffectiveCapability("Name:\tnode\n", 12n), false);
});
