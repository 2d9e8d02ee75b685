// The mesh control plane for real (root, network namespaces): a coordinator and four nodes,
// each in its own namespace, join with one auth key and reach each other by mesh address with
// no key typed by hand; a fifth joins later; a removed node drops out; the coordinator is
// killed (SIGKILL) and restarted without losing anything, and the mesh works meanwhile.

import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { requestJson } from "../../src/io/unix-http-client.js";
import type { NodeView } from "../../src/mesh/coordinator.js";
import type { NodeStatus } from "../../src/mesh/node-status.js";
import { MeshLab } from "./mesh-lab.js";
import { describeNeeding, tool } from "../requirements.js";
import { NAMESPACE_NEEDS, PREFIX, type Namespace } from "./netns.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
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
});
