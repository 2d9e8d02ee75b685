// Where `meshgate up` takes its auth key from, and what the background daemon is given.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { readAuthKey, withoutAuthKeyOptions } from "../../src/cli/auth-key-source.js";
import { parseArguments, UsageError } from "../../src/cli/options.js";

const KINDS = { "auth-key": "string", "auth-key-file": "string", "state-dir": "string", foreground: "boolean" } as const;
const KEY = "mgauth1-AAAA-0123abcd-secretsecretsecret";
const dir = mkdtempSync(join(tmpdir(), "meshgate-authkey-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const noStdin = (): string => assert.fail("stdin must not be read");

test("--auth-key KEY, --auth-key - (stdin) and --auth-key-file PATH give the same key", () => {
  const file = join(dir, "key");
  writeFileSync(file, `${KEY}\n`, { mode: 0o600 });
  assert.equal(readAuthKey(parseArguments(["--auth-key", KEY], KINDS), noStdin), KEY);
  assert.equal(readAuthKey(parseArguments(["--auth-key", "-"], KINDS), () => `  ${KEY}\nignored\n`), KEY);
  assert.equal(readAuthKey(parseArguments([`--auth-key-file=${file}`], KINDS), noStdin), KEY);
  assert.equal(readAuthKey(parseArguments(["--state-dir", dir], KINDS), noStdin), undefined);
});

test("errors name the problem", () => {
  assert.throws(() => readAuthKey(parseArguments(["--auth-key", KEY, "--auth-key-file", "x"], KINDS), noStdin), /not both/);
  assert.throws(() => readAuthKey(parseArguments(["--auth-key-file", join(dir, "missing")], KINDS), noStdin), (error: unknown) => {
    assert.ok(error instanceof UsageError);
    assert.match(error.message, /cannot read .*missing: ENOENT/);
    return true;
  });
  assert.throws(() => readAuthKey(parseArguments(["--auth-key", "-"], KINDS), () => "\n"), /no auth key in stdin/);
});

test("the daemon's arguments keep everything but the key options", () => {
  assert.deepEqual(
    withoutAuthKeyOptions(["--auth-key", KEY, "--state-dir", "/s", "--auth-key-file=/k", "--auth-key=" + KEY, "--foreground"]),
    ["--state-dir", "/s", "--foreground"],
  );
});
