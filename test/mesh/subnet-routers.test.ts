// Subnet routers in the netmap: one primary per subnet (only its entry carries the prefix),
// every approved exit node carries the exit routes, and the primary moves off a dead router —
// within the router window on the fake clock, within the hang-up grace when its connection
// closes — without flapping back when it returns. Routers' empty polls return early.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { ControlClient } from "../../src/mesh/control-client.js";
import type { NodeReport } from "../../src/mesh/control-protocol.js";
import { CoordinatorFixture, report } from "./coordinator-fixture.js";

const LAN = "192.168.1.0/24";
const POLICY = { autoApproveRoutes: ["192.168.0.0/16"], autoApproveExitNodes: true };

interface Member {
  readonly client: ControlClient;
  readonly report: NodeReport;
  // A sign of life at the fixture's current time (a report the coordinator already has).
  heard(): Promise<unknown>;
}

async function join(f: CoordinatorFixture, hostname: string, routes: string[] = []): Promise<Member> {
  const client = f.client();
  const own = { ...report, hostname, routes };
  await client.call({ op: "enroll", authKey: f.key(), ...own });
  return { client, report: own, heard: () => client.call({ op: "report", ...own }) };
}

// What the mesh says each node routes: name → "routes | approvedRoutes" (from a full map).
async function routesByName(member: Member): Promise<Record<string, string>> {
  const answer = await member.client.call({ op: "poll", version: 0 });
  assert.ok(answer.op === "poll" && answer.update.kind === "full");
  const nodes = [answer.update.self, ...answer.update.peers];
  return Object.fromEntries(nodes.map((node) => [node.name, `${node.routes.join(" ")} | ${node.approvedRoutes?.join(" ") ?? "-"}`]));
}

test("netmap: a subnet route only on its primary, approved routes on every router, exit routes on every approved exit node", async () => {
  const f = new CoordinatorFixture({ settings: POLICY });
  try {
    await join(f, "gw-a", ["192.168.2.0/24", LAN]);
    await join(f, "gw-b", [LAN, "10.0.0.0/24"]); // 10.0.0.0/24 is outside the policy: waits
    await join(f, "exit-1", ["0.0.0.0/0", "::/0"]);
    await join(f, "exit-2", ["::/0", "0.0.0.0/0", LAN]);
    const watcher = await join(f, "watcher");
    f.parts.publisher.flush();
    assert.deepEqual(await routesByName(watcher), {
      "gw-a": "192.168.1.0/24 192.168.2.0/24 | 192.168.1.0/24 192.168.2.0/24",
      "gw-b": " | 192.168.1.0/24",
      "exit-1": "0.0.0.0/0 ::/0 | 0.0.0.0/0 ::/0",
      "exit-2": "0.0.0.0/0 ::/0 | 0.0.0.0/0 192.168.1.0/24 ::/0", // sorted as text
      watcher: " | -",
    });
    assert.match(f.logs.join("\n"), /route 192\.168\.1\.0\/24: primary is gw-a/);
  } finally {
    f.close();
  }
});

test("failover: the primary moves once it is not heard for the router window, at once, and does not flap back", async () => {
  const f = new CoordinatorFixture({ settings: { ...POLICY, pollTimeoutMs: 10_000, routerOnlineWindowMs: 10_000 } });
  try {
    const a = await join(f, "gw-a", [LAN]);
    const b = await join(f, "gw-b", [LAN]);
    const watcher = await join(f, "watcher");
    f.parts.publisher.flush();
    const primary = async () => Object.entries(await routesByName(watcher)).filter(([, routes]) => routes.startsWith(LAN)).map(([name]) => name);
    assert.deepEqual(await primary(), ["gw-a"]);

    f.wallClock += 5_000;
    await b.heard();
    f.checkRouters();
    assert.deepEqual(await primary(), ["gw-a"], "heard 5 s ago: still live");

    f.wallClock += 5_000; // gw-a silent for 10 s, gw-b heard 5 s ago
    const version = f.parts.publisher.log.version;
    const waiting = watcher.client.call({ op: "poll", version });
    f.checkRouters();
    assert.ok(f.parts.publisher.log.version > version, "published at once, not batched");
    const delta = await waiting;
    assert.ok(delta.op === "poll" && delta.update.kind === "delta");
    assert.deepEqual(delta.update.upsert.map((node) => `${node.name}: ${node.routes.join(" ")}`).sort(), ["gw-a: ", `gw-b: ${LAN}`]);
    assert.match(f.logs.join("\n"), /route 192\.168\.1\.0\/24: primary moved from gw-a to gw-b \(gw-a not heard for 10 s\)/);

    f.wallClock += 1_000;
    await a.heard(); // gw-a is back
    const movesBefore = f.logs.filter((line) => line.includes("primary moved")).length;
    f.checkRouters();
    assert.deepEqual(await primary(), ["gw-b"], "the returning router does not take the subnet back");

    f.wallClock += 60_000; // nobody heard from
    f.tick();
    f.checkRouters();
    assert.deepEqual(await primary(), ["gw-b"], "nobody live: the primary keeps it");
    assert.equal(f.logs.filter((line) => line.includes("primary moved")).length, movesBefore, "no move logged since gw-a came back");

    await a.heard();
    f.checkRouters();
    assert.deepEqual(await primary(), ["gw-a"], "a live router takes over from a dead primary");
  } finally {
    f.close();
  }
});

test("failover: a primary that withdraws the route hands it over at its report", async () => {
  const f = new CoordinatorFixture({ settings: POLICY });
  try {
    const a = await join(f, "gw-a", [LAN]);
    await join(f, "gw-b", [LAN]);
    f.parts.publisher.flush();
    await a.client.call({ op: "report", ...a.report, routes: [] });
    f.parts.publisher.flush();
    assert.deepEqual(await routesByName(a), { "gw-a": " | -", "gw-b": `${LAN} | ${LAN}` });
    assert.match(f.logs.join("\n"), /primary moved from gw-a to gw-b \(gw-a no longer carries it: withdrawn, rejected or removed\)/);
    f.coordinator.removeNode("gw-b");
    assert.match(f.logs.join("\n"), /route 192\.168\.1\.0\/24: no router carries it any more \(gw-b was its primary\)/);
  } finally {
    f.close();
  }
});

test("failover: a router whose waiting poll's connection closes loses its subnets after the grace, unless it polls again", async () => {
  const f = new CoordinatorFixture({ settings: { ...POLICY, routerPollTimeoutMs: 60_000 } });
  try {
    const a = await join(f, "gw-a", [LAN]);
    const b = await join(f, "gw-b", [LAN]);
    f.parts.publisher.flush();
    // gw-a's poll waits; its connection closes (app.request sees the request's signal abort).
    const hangUp = async () => {
      const abort = new AbortController();
      const poll = a.client.call({ op: "poll", version: f.parts.publisher.log.version }, abort.signal).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 50));
      abort.abort();
      await poll;
    };

    await hangUp();
    f.wallClock += 1_000;
    await a.heard(); // it comes straight back (a new connection)
    f.wallClock += 1_500;
    f.checkRouters();
    assert.equal(f.logs.some((line) => line.includes("primary moved")), false, "a router that polls again keeps its subnet");

    await hangUp();
    f.wallClock += 1_900;
    await b.heard();
    f.checkRouters();
    assert.equal(f.logs.some((line) => line.includes("primary moved")), false, "within the grace");
    f.wallClock += 100;
    f.checkRouters();
    assert.match(f.logs.join("\n"), /primary moved from gw-a to gw-b \(gw-a closed its connection 2 s ago\)/);
  } finally {
    f.close();
  }
});

test("polls: a router's empty poll returns after the router timeout, another node's waits for the long one", async () => {
  const f = new CoordinatorFixture({ settings: { ...POLICY, pollTimeoutMs: 60_000, routerPollTimeoutMs: 30 } });
  try {
    const router = await join(f, "gw", [LAN]);
    const exit = await join(f, "exit", ["0.0.0.0/0", "::/0"]); // no subnet: no primary to keep, no hurry
    const pending = await join(f, "pending", ["10.0.0.0/24"]); // not approved
    f.parts.publisher.flush();
    const settle = (member: Member) => Promise.race([
      member.client.call({ op: "poll", version: f.parts.publisher.log.version }).then(() => "answered"),
      new Promise((resolve) => setTimeout(() => resolve("still waiting"), 1_000)),
    ]);
    const [fromRouter, fromExit, fromPending] = await Promise.all([settle(router), settle(exit), settle(pending)]);
    assert.deepEqual([fromRouter, fromExit, fromPending], ["answered", "still waiting", "still waiting"]);
  } finally {
    f.close();
  }
});
