// The mesh control plane for real (root, network namespaces): a coordinator and four nodes,
// each in its own namespace, join with one auth key and reach each other by mesh address with
// no key typed by hand; a fifth joins later; a removed node drops out; the coordinator is
// killed (SIGKILL) and restarted without losing anything, and the mesh works meanwhile; an
// impostor answering plaintext refusals in its place cuts no node off.

import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { requestJson } from "../../src/io/unix-http-client.js";
import { parseAuthKey } from "../../src/mesh/auth-key.js";
import type { NodeView } from "../../src/mesh/coordinator.js";
import type { NodeStatus } from "../../src/mesh/node-status.js";
import { MeshLab } from "./mesh-lab.js";
import { describeNeeding, tool } from "../requirements.js";
import { NAMESPACE_NEEDS, PREFIX, run, type Namespace } from "./netns.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const IMPOSTOR = fileURLToPath(new URL("./impostor-coordinator.js", import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const PROPAGATION_LIMIT_MS = 5000;

interface MeshNode {
  readonly index: number;
  readonly ns: Namespace;
  readonly stateDir: string;
  readonly process: ChildProcess & { output: string[] };
}

async function eventually<T>(what: string, limitMs: number, probe: () => Promise<T | null>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  for (;;) {
    const value = await probe().catch(() => null);
    if (value !== null) return { value, ms: Date.now() - started };
    if (Date.now() - started > limitMs) throw new Error(`${what} did not happen within ${limitMs} ms`);
    await sleep(100);
  }
}

async function pingOnce(from: Namespace, address: string): Promise<boolean> {
  const result = await from.ping(address, 1, ["-W", "1"]);
  return result.received === 1;
}

describeNeeding([...NAMESPACE_NEEDS, tool("ping")], "mesh: coordinator and nodes in network namespaces", () => {
  let lab: MeshLab;
  let coordinator: ChildProcess & { output: string[] };
  const coordinatorState = (): string => join(lab.stateRoot, "coordinator");
  const adminSocket = (): string => join(coordinatorState(), "admin.sock");
  const nodes: MeshNode[] = [];
  let authKey: string;

  const startCoordinator = async (): Promise<void> => {
    coordinator = lab.adopt(lab.hub.spawn(process.execPath, [MAIN, "coordinator", "--listen", `${lab.hubAddress()}:8080`, "--state-dir", coordinatorState()]));
    await eventually("the coordinator answering", 15_000, async () => ((await requestJson(adminSocket(), "GET", "/v1/info")).status === 200 ? true : null));
  };

  const status = async (node: MeshNode): Promise<NodeStatus> =>
    (await requestJson(join(node.stateDir, "node.sock"), "GET", "/v1/status")).body as unknown as NodeStatus;

  const startNode = async (): Promise<MeshNode> => {
    const ns = await lab.addNode();
    const index = lab.nodes.length;
    const stateDir = join(lab.stateRoot, `node${index}`);
    const child = lab.adopt(
      ns.spawn(process.execPath, [
        MAIN, "up", "--foreground", "--coordinator", `http://${lab.hubAddress()}:8080`, "--auth-key", authKey,
        "--state-dir", stateDir, "--interface", `${PREFIX}m${index}`, "--hostname", `node${index}`,
      ]),
    );
    const node = { index, ns, stateDir, process: child };
    await eventually(`node${index} up`, 20_000, async () => {
      if (child.exitCode !== null) throw new Error(child.output.join(""));
      return (await status(node)).self !== null ? true : null;
    }).catch((error: Error) => {
      throw new Error(`${error.message}\n${child.output.join("")}`);
    });
    nodes.push(node);
    return node;
  };

  const meshAddresses = async (node: MeshNode): Promise<{ ipv4: string; ipv6: string }> => {
    const self = (await status(node)).self!;
    return { ipv4: self.ipv4, ipv6: self.ipv6 };
  };

  before(async () => {
    lab = await MeshLab.create("q", 91);
    await startCoordinator();
    const created = await requestJson(adminSocket(), "POST", "/v1/keys", { reusable: true, description: "mesh test" });
    assert.equal(created.status, 201);
    authKey = String(created.body["key"]);
    for (let i = 0; i < 4; i++) await startNode();
  });

  after(async () => {
    await lab?.destroy();
  });

  test("four nodes join with one auth key and every node pings every other over mesh IPv4 and IPv6", async () => {
    for (const node of nodes) {
      await eventually(`node${node.index} sees 3 peers`, 10_000, async () => ((await status(node)).peers.length === 3 ? true : null));
    }
    const addresses = await Promise.all(nodes.map(meshAddresses));
    assert.equal(new Set(addresses.map((a) => a.ipv4)).size, 4, "distinct mesh addresses");
    for (const a of addresses) assert.match(a.ipv4, /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./);
    await Promise.all(
      nodes.map(async (from, i) => {
        for (const [j, target] of addresses.entries()) {
          if (i === j) continue;
          assert.ok(await pingOnce(from.ns, target.ipv4) || await pingOnce(from.ns, target.ipv4), `node${from.index} → ${target.ipv4}`);
          assert.ok(await pingOnce(from.ns, target.ipv6) || await pingOnce(from.ns, target.ipv6), `node${from.index} → ${target.ipv6}`);
        }
      }),
    );
  });

  // The auth key's secret part, as it would show in a command line or a log. Whole: base64url
  // has "-" in its alphabet, so the text after the last "-" can be a letter or two (which a
  // command line may well hold).
  const secretOf = (key: string): string => Buffer.from(parseAuthKey(key)!.secret).toString("base64url");
  const commandLine = (pid: number): string => readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");

  test("no auth key stays on a daemon's command line or reaches a log", async () => {
    for (const node of nodes) {
      assert.ok(!commandLine(node.process.pid!).includes(secretOf(authKey)), `node${node.index}: ${commandLine(node.process.pid!)}`);
      assert.ok(!node.process.output.join("").includes(secretOf(authKey)), `node${node.index}'s log`);
    }
    // In the background (as users run it), with the key on stdin: the daemon gets it through a pipe.
    const ns = await lab.addNode();
    const index = lab.nodes.length;
    const stateDir = join(lab.stateRoot, `node${index}`);
    const up = spawn("ip", ["netns", "exec", ns.name, process.execPath, MAIN, "up", "--auth-key", "-", "--coordinator", `http://${lab.hubAddress()}:8080`,
      "--state-dir", stateDir, "--interface", `${PREFIX}m${index}`, "--hostname", `background${index}`]);
    let printed = "";
    up.stdout.on("data", (chunk: Buffer) => (printed += chunk.toString()));
    up.stderr.on("data", (chunk: Buffer) => (printed += chunk.toString()));
    up.stdin.end(`${authKey}\n`);
    const code = await new Promise((resolve) => up.once("exit", resolve));
    const pid = Number(/\(pid (\d+)\)/.exec(printed)?.[1]);
    try {
      assert.equal(code, 0, printed);
      assert.ok(pid > 1, printed);
      assert.match(commandLine(pid), /\bup\b.*--auth-key - /, "the daemon was told to read its key from stdin");
      assert.ok(!commandLine(pid).includes(secretOf(authKey)), commandLine(pid));
      assert.ok(!readFileSync(join(stateDir, "node.log"), "utf8").includes(secretOf(authKey)), "the daemon's log");
      assert.ok(!printed.includes(secretOf(authKey)), "what up printed");
    } finally {
      await run("ip", ["netns", "exec", ns.name, process.execPath, MAIN, "down", "--state-dir", stateDir]).catch(() => {
        if (pid > 1) process.kill(pid, "SIGKILL");
      });
    }
  });

  test("a fifth node that joins later is reachable from all within 5 s", async () => {
    const fifth = await startNode();
    const { ipv4 } = await meshAddresses(fifth);
    const results = await Promise.all(
      nodes.slice(0, 4).map((from) => eventually(`node${from.index} → node5`, PROPAGATION_LIMIT_MS, async () => ((await pingOnce(from.ns, ipv4)) ? true : null))),
    );
    for (const result of results) assert.ok(result.ms <= PROPAGATION_LIMIT_MS);
  });

  test("a node removed on the coordinator is unreachable from all others within 5 s", async () => {
    const removed = nodes[1]!;
    const { ipv4 } = await meshAddresses(removed);
    const others = nodes.filter((node) => node !== removed);
    for (const from of others) assert.ok(await pingOnce(from.ns, ipv4), `reachable before removal from node${from.index}`);
    const response = await requestJson(adminSocket(), "DELETE", `/v1/nodes/node${removed.index}`);
    assert.equal(response.status, 200);
    const results = await Promise.all(
      others.map((from) =>
        eventually(`node${from.index} drops node${removed.index}`, PROPAGATION_LIMIT_MS, async () => {
          const gone = !(await status(from)).peers.some((peer) => peer.ipv4 === ipv4);
          return gone && !(await pingOnce(from.ns, ipv4)) ? true : null;
        }),
      ),
    );
    for (const result of results) assert.ok(result.ms <= PROPAGATION_LIMIT_MS);
    // Throws unless the removed node reports being cut off within 30 s.
    await eventually("the removed node learns it", 30_000, async () => ((await status(removed)).coordinator.state.kind === "cut-off" ? true : null));
  });

  test("the coordinator killed with SIGKILL keeps everything after a restart, and the mesh runs meanwhile", async () => {
    const live = nodes.filter((node) => node.index !== 2);
    const nodesBefore = ((await requestJson(adminSocket(), "GET", "/v1/nodes")).body["nodes"] as NodeView[]).map((n) => [n.name, n.nodeKey, n.ipv4, n.ipv6]);
    const keysBefore = (await requestJson(adminSocket(), "GET", "/v1/keys")).body["keys"];
    const exited = new Promise((resolve) => coordinator.once("exit", resolve));
    coordinator.kill("SIGKILL");
    await exited;

    const a = live.find((node) => node.index === 1)!;
    const b = live.find((node) => node.index === 4)!;
    const target = await meshAddresses(b);
    for (let i = 0; i < 3; i++) assert.ok(await pingOnce(a.ns, target.ipv4), "the mesh passes traffic while the coordinator is down");

    await startCoordinator();
    const nodesAfter = ((await requestJson(adminSocket(), "GET", "/v1/nodes")).body["nodes"] as NodeView[]).map((n) => [n.name, n.nodeKey, n.ipv4, n.ipv6]);
    assert.deepEqual(nodesAfter, nodesBefore, "every node, key and address survived");
    assert.deepEqual((await requestJson(adminSocket(), "GET", "/v1/keys")).body["keys"], keysBefore, "every auth key survived");
    for (const node of live) {
      await eventually(`node${node.index} reconnects`, 40_000, async () => ((await status(node)).coordinator.state.kind === "connected" ? true : null));
    }
    // And changes flow again: removing node 3 reaches the others.
    const third = nodes.find((node) => node.index === 3)!;
    const gone = await meshAddresses(third);
    await requestJson(adminSocket(), "DELETE", "/v1/nodes/node3");
    for (const from of live.filter((node) => node !== third)) {
      await eventually(`node${from.index} drops node3 after the restart`, PROPAGATION_LIMIT_MS, async () =>
        (await status(from)).peers.some((peer) => peer.ipv4 === gone.ipv4) ? null : true,
      );
    }
    assert.ok(await pingOnce(a.ns, target.ipv4), "the rest of the mesh still works");
  });

  test("an impostor answering plaintext refusals in the coordinator's place cuts nobody off; the real one takes over again", async () => {
    const live = nodes.filter((node) => node.index !== 2 && node.index !== 3); // the two removed above
    const peersBefore = await Promise.all(live.map(async (node) => (await status(node)).peers.map((peer) => peer.nodeKey).sort()));
    const exited = new Promise((resolve) => coordinator.once("exit", resolve));
    coordinator.kill("SIGKILL");
    await exited;
    const impostor = lab.adopt(lab.hub.spawn(process.execPath, [IMPOSTOR, lab.hubAddress(), "8080"]));
    const served = (): Set<string> => new Set(impostor.output.join("").match(/served \S+/g) ?? []);
    await eventually("the impostor served every code", 60_000, async () => (served().size === 5 ? true : null));

    const target = await meshAddresses(live[1]!);
    for (const [i, node] of live.entries()) {
      const now = await status(node);
      assert.notEqual(now.coordinator.state.kind, "cut-off", `node${node.index} was not cut off`);
      assert.deepEqual(now.peers.map((peer) => peer.nodeKey).sort(), peersBefore[i], `node${node.index} keeps its peers`);
    }
    await eventually("a node shows the impostor's answer as a transient failure", 30_000, async () =>
      (await Promise.all(live.map(status))).some((s) => s.coordinator.state.kind === "retrying" && /impostor/.test(s.coordinator.state.error)) ? true : null,
    );
    assert.ok(await pingOnce(live[0]!.ns, target.ipv4) || await pingOnce(live[0]!.ns, target.ipv4), "the mesh passes traffic meanwhile");

    const gone = new Promise((resolve) => impostor.once("exit", resolve));
    impostor.kill("SIGTERM");
    await gone;
    await startCoordinator();
    for (const node of live) {
      await eventually(`node${node.index} reconnects to the real coordinator`, 60_000, async () => ((await status(node)).coordinator.state.kind === "connected" ? true : null));
    }
    assert.ok(await pingOnce(live[0]!.ns, target.ipv4) || await pingOnce(live[0]!.ns, target.ipv4));
  });
});
