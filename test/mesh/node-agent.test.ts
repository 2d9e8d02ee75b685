// The node agent with the real control client and the real coordinator app in memory, and an
// impostor that can take the coordinator's place on the path (a captive portal, a proxy, an
// attacker): only a refusal sealed by the pinned coordinator may cut a node off; plaintext
// refusals of every kind are transient — peers kept, state "retrying" with the text — and the
// node reconnects when the real coordinator answers again.

import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { ControlRefusal } from "../../src/mesh/control-client.js";
import { createNodeAgent, type NodeAgent } from "../../src/mesh/node-agent.js";
import type { Netmap } from "../../src/mesh/netmap.js";
import type { LocalIdentity } from "../../src/wireguard/noise.js";
import { CoordinatorFixture, report } from "./coordinator-fixture.js";

const IMPOSTOR_ANSWERS: readonly { status: number; code: string; type?: string }[] = [
  { status: 403, code: "not_registered" },
  { status: 403, code: "key_expired" },
  { status: 401, code: "wrong_coordinator" },
  { status: 401, code: "auth_key_invalid" },
  { status: 401, code: "session_unknown" },
  // Looks like a sealed answer (the content type the coordinator uses), but is not one.
  { status: 403, code: "not_registered", type: "application/octet-stream" },
];

// Where the node's requests go: the real coordinator app, or an impostor answering them.
interface Route {
  impostor: ((request: Request) => Response) | null;
}

async function until(what: string, condition: () => boolean, limitMs = 5000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${limitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe("node agent", () => {
  let f: CoordinatorFixture;
  let agent: NodeAgent | null = null;
  beforeEach(() => {
    f = new CoordinatorFixture();
  });
  afterEach(() => {
    agent?.stop();
    f.close();
  });

  // An enrolled node whose agent talks through `route` (the real app, or an impostor).
  async function startAgent(route: Route) {
    const identity: LocalIdentity = f.newIdentity();
    await f.client(identity).call({ op: "enroll", authKey: f.key(), ...report });
    f.wallClock += 1000;
    const fetch: typeof globalThis.fetch = async (input, init) =>
      route.impostor === null ? f.fetch(input, init) : route.impostor(new Request(input as string, init));
    const events = { netmaps: [] as Netmap[], cutOffs: [] as ControlRefusal[], logs: [] as string[] };
    agent = createNodeAgent({
      client: f.client(identity, f.identity.publicKey, fetch),
      report: () => report,
      initial: null,
      onNetmap: (netmap) => events.netmaps.push(netmap),
      onCutOff: (refusal) => events.cutOffs.push(refusal),
      // Backoff without waiting: the test is about decisions, not time.
      sleep: () => new Promise((resolve) => setImmediate(resolve)),
      wallClock: () => f.wallClock,
      log: (line) => events.logs.push(line),
    });
    agent.start();
    return { events };
  }

  test("plaintext refusals of every kind leave the node's peers in place; it reconnects when the coordinator is back", async () => {
    await f.client().call({ op: "enroll", authKey: f.key(), ...report, hostname: "desk" });
    f.wallClock += 1000;
    const route: Route = { impostor: null };
    const { events } = await startAgent(route);
    await until("the first netmap", () => agent!.state.kind === "connected" && agent!.netmap?.peers.length === 1);
    const peersBefore = agent!.netmap!.peers.map((peer) => peer.nodeKey);

    const served: string[] = [];
    route.impostor = () => {
      const answer = IMPOSTOR_ANSWERS[served.length % IMPOSTOR_ANSWERS.length]!;
      served.push(answer.code);
      const body = JSON.stringify({ error: answer.code, message: `impostor says ${answer.code}` });
      return new Response(body, { status: answer.status, headers: { "content-type": answer.type ?? "application/json" } });
    };
    f.wallClock += 1000;
    // The long poll in flight ends (poll timeout 50 ms); every request after it meets the impostor.
    await until("every impostor answer served twice", () => served.length >= 2 * IMPOSTOR_ANSWERS.length);
    assert.deepEqual(events.cutOffs, [], "no unauthenticated answer cuts the node off");
    const state = agent!.state;
    assert.equal(state.kind, "retrying");
    if (state.kind === "retrying") assert.match(state.error, /without the coordinator's seal|did not authenticate/);
    assert.deepEqual(agent!.netmap!.peers.map((peer) => peer.nodeKey), peersBefore, "the peers are kept");
    assert.ok(events.logs.some((line) => /impostor says/.test(line)), "the text is shown");

    route.impostor = null;
    await until("reconnected", () => agent!.state.kind === "connected");
    await f.client().call({ op: "enroll", authKey: f.key(), ...report, hostname: "phone" });
    await until("the change after reconnecting", () => agent!.netmap?.peers.length === 2);
    assert.deepEqual(events.cutOffs, []);
  });

  test("a sealed not_registered (an admin removed the node) cuts it off, once", async () => {
    const route: Route = { impostor: null };
    const { events } = await startAgent(route);
    await until("connected", () => agent!.state.kind === "connected");
    f.coordinator.removeNode("laptop");
    await until("cut off", () => agent!.state.kind === "cut-off");
    assert.equal(events.cutOffs.length, 1);
    assert.equal(events.cutOffs[0]!.code, "not_registered");
  });
});
