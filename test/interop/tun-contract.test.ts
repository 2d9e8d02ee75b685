// The real TUN against the Tun contract (test/io/tun.contract.ts; the fake runs it in
// test/io/tun-contract.test.ts). A TUN needs a network namespace of its own so nothing on the
// host changes: this makes one, runs tun-contract-in-namespace.js inside it with node's test
// runner, and reports each of its tests here. Root only; with CI=true a missing piece fails.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { describeNeeding } from "../requirements.js";
import { killAndDelete, Namespace, NAMESPACE_NEEDS, PREFIX, run } from "./netns.js";

const CONTRACT = fileURLToPath(new URL("./tun-contract-in-namespace.js", import.meta.url));

describeNeeding(NAMESPACE_NEEDS, "real TUN against the Tun contract, in a network namespace", () => {
  const ns = new Namespace(`${PREFIX}tun`);
  const exitHook = (): void => killAndDelete([], [ns]);
  let output = "";
  let code = 0;

  before(async () => {
    process.once("exit", exitHook);
    await run("ip", ["netns", "add", ns.name]);
    await run("ip", ["netns", "exec", ns.name, "ip", "link", "set", "lo", "up"]);
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT; // set under node --test: the inner runner would report to us, not print
    ({ code, output } = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile("ip", ["netns", "exec", ns.name, process.execPath, "--test-reporter=tap", CONTRACT], { env, timeout: 120_000 }, (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, output: stdout + stderr }),
      );
    }));
  });

  after(() => {
    killAndDelete([], [ns]);
    process.removeListener("exit", exitHook);
  });

  test("the contract, run in the namespace", async (t) => {
    const results = [...output.matchAll(/^ {4}(not ok|ok) \d+ - (.*)$/gm)];
    assert.ok(results.length >= 7, `the contract's tests ran:\n${output}`);
    for (const [, status, title] of results) await t.test(title!, () => assert.equal(status, "ok", output));
    assert.equal(code, 0, output);
  });
});
