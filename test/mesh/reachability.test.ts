// What nodes tell the coordinator of their reachability (NAT facts, a UDP peer relay port) and
// what it tells them of its services (STUN ports, the TCP relay): checked on the way in,
// stored, carried to peers in the netmap, changed by a later report.

import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { ControlRefusal } from "../../src/mesh/control-client.js";
import { parseControlRequest, type NodeReport } from "../../src/mesh/control-protocol.js";
import { CoordinatorFixture, report } from "./coordinator-fixture.js";

const nat = { udp: true, mappingVariesByDestination: true, portMapping: null } as const;

describe("reachability in reports and netmaps", () => {
  let f: CoordinatorFixture;
  beforeEach(() => {
    f = new CoordinatorFixture({ services: { stunPorts: [3478, 3479], relay: true } });
  });
  afterEach(() => f.close());

  test("a report's NAT facts and relay port are checked: a bad field is a 400 naming the call", () => {
    const base = { op: "report", ...report };
    assert.equal(parseControlRequest(JSON.stringify({ ...base, nat, relayPort: 3479 })).op, "report");
    assert.equal(parseControlRequest(JSON.stringify(base)).op, "report", "both are optional (older nodes)");
    for (const bad of [
      { nat: { ...nat, portMapping: "magic" } },
      { nat: { ...nat, udp: "yes" } },
      { nat: [] },
      { relayPort: 0 },
      { relayPort: 70000 },
      { relayPort: "3479" },
    ]) {
      assert.throws(() => parseControlRequest(JSON.stringify({ ...base, ...bad })), /report needs/, JSON.stringify(bad));
    }
  });

  test("peers see a node's NAT facts and relay port; a new report changes them; the answer tells the services", async () => {
    const relay = f.client();
    const relayReport: NodeReport = { ...report, hostname: "relay", nat, relayPort: 3479 };
    await relay.call({ op: "enroll", authKey: f.key(), ...relayReport });
    const viewer = f.client();
    await viewer.call({ op: "enroll", authKey: f.key(), ...report, hostname: "viewer" });
    const first = await viewer.call({ op: "poll", version: 0 });
    assert.ok(first.op === "poll" && first.update.kind === "full");
    const seen = first.update.peers.find((peer) => peer.name === "relay")!;
    assert.deepEqual([seen.nat, seen.relayPort], [nat, 3479]);

    f.wallClock += 1000;
    const answer = await relay.call({ op: "report", ...relayReport, nat: { ...nat, portMapping: "pcp" }, relayPort: null });
    assert.deepEqual(answer, { op: "report", services: { stunPorts: [3478, 3479], relay: true } });
    const next = await viewer.call({ op: "poll", version: first.update.version });
    assert.ok(next.op === "poll" && next.update.kind === "delta");
    const changed = next.update.upsert.find((peer) => peer.name === "relay")!;
    assert.deepEqual([changed.nat?.portMapping, changed.relayPort], ["pcp", null]);
  });

  test("an unregistered node's report is refused, sealed", async () => {
    await assert.rejects(f.client().call({ op: "report", ...report, nat }), (error: unknown) => error instanceof ControlRefusal && error.code === "not_registered");
  });
});
