// The Raspberry Pi firmware's throttling word, from vcgencmd's output and the sysfs file's.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { ThrottleFlags } from "../../src/admin/admin-api.js";
import { parseThrottled } from "../../src/system/throttle-flags.js";

// Flags written as the letters of the ones set: u under-voltage, c frequency capped,
// t throttled, s soft temperature limit.
const flags = (set: string): ThrottleFlags => ({
  underVoltage: set.includes("u"),
  frequencyCapped: set.includes("c"),
  throttled: set.includes("t"),
  softTemperatureLimit: set.includes("s"),
});

const CASES: [text: string, now: string, sinceBoot: string][] = [
  ["throttled=0x0\n", "", ""],
  ["throttled=0x50005\n", "ut", "ut"], // under-voltage and throttled now, and since boot
  ["throttled=0x50000", "", "ut"], // both happened, neither now
  ["throttled=0xe0008", "s", "cts"], // soft limit now; capped, throttled and soft limit since boot
  ["throttled=0x80008", "s", "s"],
  ["throttled=0x1", "u", ""],
  ["throttled=0x2", "c", ""],
  ["throttled=0x4", "t", ""],
  ["throttled=0x10000", "", "u"],
  ["throttled=0x20000", "", "c"],
  ["throttled=0x40000", "", "t"],
  ["throttled=0xF000F", "ucts", "ucts"],
  ["throttled=0xfff0fff0", "", ""], // only bits the firmware does not define
  ["50005\n", "ut", "ut"], // the sysfs file: hex without 0x
  ["0\n", "", ""],
  ["  THROTTLED=0X50005  ", "ut", "ut"],
];

for (const [text, now, sinceBoot] of CASES) {
  test(`${JSON.stringify(text)} → now {${now}} since boot {${sinceBoot}}`, () => {
    assert.deepEqual(parseThrottled(text), { now: flags(now), sinceBoot: flags(sinceBoot) });
  });
}

test("text that is not a throttling word is null", () => {
  for (const text of ["", "error=1 error_msg=\"Command not registered\"", "throttled=", "throttled=0x", "throttled=0x123456789", "temp=48.3'C", "0x50005 extra"]) {
    assert.equal(parseThrottled(text), null, JSON.stringify(text));
  }
});
