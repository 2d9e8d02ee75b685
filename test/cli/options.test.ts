// Command-line parsing: typos are errors that name the option.

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseArguments, parseDuration, parsePort, UsageError } from "../../src/cli/options.js";

test("options, flags, --name=value and operands", () => {
  const parsed = parseArguments(["list", "--json", "--state-dir", "/tmp/x", "--user=alice", "extra"], { json: "boolean", "state-dir": "string", user: "string" });
  assert.deepEqual(parsed.operands, ["list", "extra"]);
  assert.ok(parsed.flags.has("json"));
  assert.deepEqual(parsed.strings, { "state-dir": "/tmp/x", user: "alice" });
});

test("errors name the option", () => {
  assert.throws(() => parseArguments(["--jsno"], { json: "boolean" }), (e: unknown) => e instanceof UsageError && /--jsno/.test(e.message));
  assert.throws(() => parseArguments(["--port"], { port: "string" }), /--port needs a value/);
  assert.throws(() => parseArguments(["--port", "--json"], { port: "string", json: "boolean" }), /--port needs a value/);
  assert.throws(() => parseArguments(["--json=1"], { json: "boolean" }), /takes no value/);
  assert.equal(parseDuration("24h"), 86_400_000);
  assert.equal(parseDuration("90s"), 90_000);
  assert.throws(() => parseDuration("1 day"), /not a duration/);
  assert.equal(parsePort("41641", "port"), 41641);
  assert.throws(() => parsePort("70000", "port"), /--port must be/);
});

test("toggles: --flag is true, --flag=false and --flag=true say it outright, anything else is refused", () => {
  const parsed = parseArguments(["--accept-routes=false", "--advertise-exit-node", "--snat=true", "--exit-node="], { "accept-routes": "toggle", "advertise-exit-node": "toggle", snat: "toggle", "exit-node": "string" });
  assert.deepEqual(parsed.toggles, { "accept-routes": false, "advertise-exit-node": true, snat: true });
  assert.equal(parsed.strings["exit-node"], "", "an empty value clears a setting");
  assert.throws(() => parseArguments(["--accept-routes=no"], { "accept-routes": "toggle" }), /true or false/);
});
