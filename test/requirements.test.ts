// The rule of test/requirements.ts: a missing piece skips a suite outside CI and fails it with
// CI=true, naming the piece; and no test skips any other way.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { capability, judge, missing, ROOT, tool } from "./requirements.js";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT_DIR = resolve(HERE, "../..");
const FIXTURE = join(HERE, "fixtures/suite-missing-a-tool.js");

const absent = capability("a missing piece", "how to get it", () => false);
const present = capability("a present piece", "unused", () => true);

test("nothing missing: the suite runs, in CI or not", () => {
  assert.deepEqual(judge([present, tool("node")], {}), { kind: "run" });
  assert.deepEqual(judge([present, tool("node")], { CI: "true" }), { kind: "run" });
});

test("a missing piece: skipped with the reason outside CI, a failure naming it with CI=true", () => {
  const reason = "needs a missing piece (how to get it)";
  assert.deepEqual(judge([present, absent], {}), { kind: "skip", reason });
  assert.deepEqual(judge([present, absent], { CI: "false" }), { kind: "skip", reason });
  assert.deepEqual(judge([present, absent], { CI: "true" }), { kind: "fail", reason: `CI=true and ${reason}` });
  assert.deepEqual(judge([absent], { CI: "1" }), { kind: "fail", reason: `CI=1 and ${reason}` });
});

test("every missing piece is named, with where to get it", () => {
  assert.equal(
    missing([tool("meshgate-no-such-tool"), present, absent]),
    "needs meshgate-no-such-tool (see .ci/run for the packages); needs a missing piece (how to get it)",
  );
  assert.equal(missing([present]), null);
});

test("a suite that needs root fails in the unit suite, which promises to need none", () => {
  const verdict = judge([ROOT], { MESHGATE_TEST_SCOPE: "unit" });
  assert.equal(verdict.kind, "fail");
  assert.match(verdict.kind === "fail" ? verdict.reason : "", /belongs in test\/interop/);
});

// The whole path, as CI runs it: node --test on a file whose suite needs a missing tool.
async function runFixture(ci: string | undefined): Promise<{ code: number; output: string }> {
  const env = { ...process.env };
  delete env.CI;
  delete env.MESHGATE_TEST_SCOPE;
  delete env.NODE_TEST_CONTEXT; // set for files under node --test: the inner run would report to us, not print
  if (ci !== undefined) env.CI = ci;
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ["--test", "--test-reporter=tap", FIXTURE], { env, timeout: 60_000 });
    return { code: 0, output: stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    return { code: failed.code ?? -1, output: failed.stdout ?? String(error) };
  }
}

test("with CI=true, node --test fails a suite and a test whose tool is missing, naming it", async () => {
  const { code, output } = await runFixture("true");
  assert.notEqual(code, 0, output);
  const message = "CI=true and needs meshgate-no-such-tool (see .ci/run for the packages)";
  assert.equal(output.split(`error: '${message}'`).length - 1, 2, `the suite and the test both fail with "${message}":\n${output}`);
  assert.match(output, /^# fail 2$/m);
  assert.doesNotMatch(output, /ran without its tool/);
});

test("without CI, the same file passes with both skipped, and says why", async () => {
  const { code, output } = await runFixture(undefined);
  assert.equal(code, 0, output);
  const skipped = output.match(/^ok \d+ - .* # SKIP needs meshgate-no-such-tool \(see \.ci\/run for the packages\)$/gm) ?? [];
  assert.equal(skipped.length, 2, output);
});

// Sources under test/ (this file and the helper excepted), relative to the project root.
function testSources(directory = join(ROOT_DIR, "test")): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return testSources(path);
    return entry.name.endsWith(".ts") ? [relative(ROOT_DIR, path)] : [];
  });
}

test("no test skips, or asks for root, except through test/requirements.ts", () => {
  const own = ["test/requirements.ts", "test/requirements.test.ts"];
  const sources = testSources().filter((path) => !own.includes(path));
  assert.ok(sources.length > 50, `found the test sources (${sources.length})`);
  const pattern = /\bskip\s*:|\.skip\s*\(|\btodo\s*:|\.todo\s*\(|\bgetuid\b/;
  const offenders = sources.filter((path) => pattern.test(readFileSync(join(ROOT_DIR, path), "utf8")));
  assert.deepEqual(offenders, [], "use describeNeeding / testNeeding, so CI=true turns a missing piece into a failure");
});
