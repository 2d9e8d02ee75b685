// `meshgate routes …` and `meshgate coordinator --auto-approve …`: argument errors name the
// problem; against a real coordinator (loopback, no root) the commands print the table and what
// changed in words, and the coordinator's refusals come through.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createCryptoCore } from "../../src/dataplane/crypto-core.js";
import { compileCryptoWasm } from "../../src/dataplane/crypto-wasm.js";
import { parseAutoApprove } from "../../src/cli/coordinator.js";
import { UsageError } from "../../src/cli/options.js";
import { describeRouteChanges, parseRoutesCommand, runRoutes } from "../../src/cli/routes.js";
import { startCoordinator } from "../../src/daemon/coordinator.js";
import { monotonicMs } from "../../src/io/clock.js";
import { requestJson } from "../../src/io/unix-http-client.js";
import { createControlClient } from "../../src/mesh/control-client.js";
import { clampPrivateKey, createFastestX25519 } from "../../src/wireguard/x25519.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

const usageError = (run: () => unknown, message: RegExp): void =>
  assert.throws(run, (error: unknown) => error instanceof UsageError && message.test(error.message), String(message));

test("routes: what each argument mistake says", () => {
  const cases: [string[], RegExp][] = [
    [[], /^Usage: meshgate routes list/],
    [["show"], /^Usage: meshgate routes list/],
    [["list", "gw"], /routes list takes no routes/],
    [["approve"], /routes approve needs a node \(name or id\) and the routes: a CIDR prefix \(several: comma-separated\), exit-node, or --all/],
    [["reject", "gw"], /routes reject gw: which routes\?/],
    [["approve", "gw", "10.0.0.0/24", "--all"], /give the routes or --all, not both/],
    [["approve", "gw", "10.0.0.0/24", "10.1.0.0/24"], /one list of routes: separate prefixes with commas/],
    [["approve", "gw", "10.0.0.1/24"], /"10\.0\.0\.1\/24" has host bits set: did you mean 10\.0\.0\.0\/24\?/],
    [["approve", "gw", "10.0.0.0/24,lan"], /"lan" is not a CIDR prefix/],
    [["approve", "gw", "exit"], /"exit" is not a CIDR prefix/],
    [["approve", "gw", "--all", "--yes"], /unknown option --yes/],
  ];
  for (const [args, message] of cases) usageError(() => parseRoutesCommand(args), message);
  assert.deepEqual(parseRoutesCommand(["approve", "gw", "10.0.0.0/24,0.0.0.0/0", "--state-dir", "/s"]), { action: "approve", node: "gw", selector: ["10.0.0.0/24", "0.0.0.0/0"], json: false, stateDir: "/s" });
  assert.equal(parseRoutesCommand(["reject", "3", "exit-node"]).action, "reject");
  assert.deepEqual((parseRoutesCommand(["reject", "3", "--all"]) as { selector: unknown }).selector, "all");
});

test("coordinator --auto-approve: canonical subnet prefixes, comma-separated; a default route points to --auto-approve-exit-nodes", () => {
  assert.deepEqual(parseAutoApprove("192.168.0.0/16, 10.0.0.0/8"), ["192.168.0.0/16", "10.0.0.0/8"]);
  usageError(() => parseAutoApprove("0.0.0.0/0"), /^--auto-approve: "0\.0\.0\.0\/0" is a default route: use --auto-approve-exit-nodes/);
  usageError(() => parseAutoApprove("192.168.1.1/16"), /^--auto-approve: "192\.168\.1\.1\/16" has host bits set/);
  usageError(() => parseAutoApprove("10.0.0.0/8,"), /^--auto-approve: "" is not a CIDR prefix/);
});

test("routes: changes in words — primary or standby, exit node, still advertised or forgotten, nothing", () => {
  const route = (prefix: string, primary: boolean) => ({ node: "gw", nodeId: 1, prefix, advertised: true, approved: true, primary, online: true });
  assert.equal(describeRouteChanges("approve", { node: "gw", changed: ["10.0.0.0/24", "10.1.0.0/24", "0.0.0.0/0"], unchanged: ["10.2.0.0/24"], routes: [route("10.0.0.0/24", true), route("10.1.0.0/24", false), route("0.0.0.0/0", true)] }), [
    "approved 10.0.0.0/24 on gw (primary: peers route it to gw now)",
    "approved 10.1.0.0/24 on gw (standby: another router is primary; this one takes over if it fails)",
    "approved 0.0.0.0/0 on gw (exit route: peers may choose gw as their exit node)",
    "10.2.0.0/24 on gw was approved already",
  ].join("\n"));
  assert.equal(describeRouteChanges("reject", { node: "gw", changed: ["10.0.0.0/24", "10.1.0.0/24"], unchanged: [], routes: [{ ...route("10.0.0.0/24", false), approved: false }] }), [
    "rejected 10.0.0.0/24 on gw (still advertised; peers no longer route it to gw)",
    "rejected 10.1.0.0/24 on gw (no longer advertised: forgotten)",
  ].join("\n"));
  assert.equal(describeRouteChanges("approve", { node: "gw", changed: [], unchanged: [], routes: [] }), "nothing to approve: gw has no routes");
});

test("routes list / approve / reject against a running coordinator with an auto-approve policy", async () => {
  const stateDir = mkdtempSync(join(tmpdir(), "meshgate-routes-cli-"));
  const coordinator = await startCoordinator({ stateDir, listenHost: "127.0.0.1", listenPort: 0, settings: { autoApproveRoutes: ["192.168.0.0/16"] }, log: () => undefined });
  try {
    const created = await requestJson(coordinator.adminSocket, "POST", "/v1/keys", {});
    const x25519 = createFastestX25519();
    const privateKey = clampPrivateKey(createSeededRandom(7).bytes(32));
    const control = createControlClient({
      coordinatorUrl: coordinator.controlUrl,
      coordinatorKey: Uint8Array.from(Buffer.from(coordinator.publicKey, "base64")),
      identity: { privateKey, publicKey: x25519.publicKey(privateKey) },
      noise: { crypto: createCryptoCore(compileCryptoWasm("release")), x25519, random: createSeededRandom(8) },
      fetch,
      wallClock: Date.now,
      now: monotonicMs,
    });
    await control.call({ op: "enroll", authKey: String(created.body["key"]), hostname: "gw", endpoints: [], listenPort: 41641, routes: ["192.168.1.0/24", "10.0.0.0/24", "0.0.0.0/0", "::/0"] });

    const run = async (...args: string[]): Promise<string> => {
      const lines: string[] = [];
      assert.equal(await runRoutes([...args, "--state-dir", stateDir], (line) => lines.push(line)), 0);
      return lines.join("\n");
    };
    assert.equal(await run("list"), [
      "NODE  ROUTE             ADVERTISED  APPROVED  PRIMARY",
      "gw    0.0.0.0/0 (exit)  yes         no        no",
      "gw    10.0.0.0/24       yes         no        no",
      "gw    192.168.1.0/24    yes         yes       yes",
      "gw    ::/0 (exit)       yes         no        no",
    ].join("\n"), "192.168.1.0/24 auto-approved by the policy given to startCoordinator");
    assert.equal(await run("approve", "gw", "exit-node"), [
      "approved 0.0.0.0/0 on gw (exit route: peers may choose gw as their exit node)",
      "approved ::/0 on gw (exit route: peers may choose gw as their exit node)",
    ].join("\n"));
    assert.equal(await run("reject", "gw", "192.168.1.0/24"), "rejected 192.168.1.0/24 on gw (still advertised; peers no longer route it to gw)");
    await assert.rejects(run("approve", "gw", "10.9.0.0/24"), /^Error: gw does not advertise 10\.9\.0\.0\/24 \(it advertises: 0\.0\.0\.0\/0, 10\.0\.0\.0\/24, 192\.168\.1\.0\/24, ::\/0\)$/);
    const listed = JSON.parse(await run("list", "--json")) as { prefix: string; approved: boolean }[];
    assert.deepEqual(listed.filter((route) => route.approved).map((route) => route.prefix), ["0.0.0.0/0", "::/0"]);
  } finally {
    await coordinator.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
});
