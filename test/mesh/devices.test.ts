// Devices without meshgate on the coordinator: a node adds one (addresses from the node pool),
// everyone's netmap lists it under its host, only the host removes it, and bad requests are
// refused with the reason.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ControlRefusal, type ControlClient } from "../../src/mesh/control-client.js";
import { deviceNameProblem, MAX_DEVICES_PER_NODE } from "../../src/mesh/control-service.js";
import { CoordinatorFixture, report } from "./coordinator-fixture.js";

const keyOf = (n: number): string => Buffer.alloc(32, n).toString("base64");

async function join(f: CoordinatorFixture, hostname: string): Promise<ControlClient> {
  const client = f.client();
  await client.call({ op: "enroll", authKey: f.key(), ...report, hostname });
  return client;
}

async function devicesSeenBy(client: ControlClient): Promise<Record<string, string[]>> {
  const answer = await client.call({ op: "poll", version: 0 });
  assert.ok(answer.op === "poll" && answer.update.kind === "full");
  const nodes = [answer.update.self, ...answer.update.peers];
  return Object.fromEntries(nodes.map((node) => [node.name, (node.devices ?? []).map((device) => `${device.name} ${device.ipv4}`)]));
}

test("a node adds a device: addresses from the pool, listed under its host in every netmap; the host removes it", async () => {
  const f = new CoordinatorFixture();
  try {
    const pi = await join(f, "pi");
    const laptop = await join(f, "laptop");
    const added = await pi.call({ op: "device-add", name: "Anna's phone", publicKey: keyOf(7) });
    assert.ok(added.op === "device-add");
    assert.match(added.device.ipv4, /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./);
    const nodes = f.store.nodes.list();
    assert.ok(!nodes.some((node) => node.ipv4 === added.device.ipv4), "no node has its address");
    assert.equal(added.device.ipv6.split(":").slice(0, 3).join(":"), nodes[0]!.ipv6.split(":").slice(0, 3).join(":"), "its IPv6 is in the mesh's ULA /48");
    f.parts.publisher.flush();
    assert.deepEqual((await devicesSeenBy(laptop))["pi"], [`Anna's phone ${added.device.ipv4}`]);
    assert.deepEqual((await devicesSeenBy(laptop))["laptop"], []);

    await assert.rejects(laptop.call({ op: "device-remove", publicKey: keyOf(7) }), (error: unknown) => error instanceof ControlRefusal && /hosts no device/.test(error.message), "only the host");
    await pi.call({ op: "device-remove", publicKey: keyOf(7) });
    f.parts.publisher.flush();
    assert.deepEqual((await devicesSeenBy(laptop))["pi"], []);
    assert.deepEqual(f.store.audit.recent(2).map((entry) => entry.action), ["device-remove", "device-add"]);
  } finally {
    f.close();
  }
});

test("refused with the reason: a bad name, a taken name, a node's key, a key already a device's, too many", async () => {
  const f = new CoordinatorFixture();
  try {
    const pi = await join(f, "pi");
    await pi.call({ op: "device-add", name: "tablet", publicKey: keyOf(1) });
    const refusals: [Record<string, string>, RegExp][] = [
      [{ name: " tablet", publicKey: keyOf(2) }, /leading or trailing spaces/],
      [{ name: "x".repeat(33), publicKey: keyOf(2) }, /at most 32/],
      [{ name: "tab<let>", publicKey: keyOf(2) }, /letters, digits/],
      [{ name: "tablet", publicKey: keyOf(2) }, /already has a device named "tablet"/],
      [{ name: "phone", publicKey: keyOf(1) }, /already a device's/],
      [{ name: "phone", publicKey: f.store.nodes.list()[0]!.nodeKey }, /belongs to a node/],
    ];
    for (const [fields, reason] of refusals) {
      await assert.rejects(pi.call({ op: "device-add", name: fields["name"]!, publicKey: fields["publicKey"]! }), (error: unknown) => error instanceof ControlRefusal && reason.test(error.message), JSON.stringify(fields));
    }
    for (let i = 1; i < MAX_DEVICES_PER_NODE; i++) await pi.call({ op: "device-add", name: `d${i}`, publicKey: keyOf(100 + i) });
    await assert.rejects(pi.call({ op: "device-add", name: "one more", publicKey: keyOf(250) }), /hosts 64 devices already/);
    assert.equal(deviceNameProblem("Anna's phone"), null);
  } finally {
    f.close();
  }
});

test("removing the host removes its devices", async () => {
  const f = new CoordinatorFixture();
  try {
    const pi = await join(f, "pi");
    await pi.call({ op: "device-add", name: "tablet", publicKey: keyOf(3) });
    f.coordinator.removeNode("pi");
    assert.deepEqual(f.store.devices.list(), []);
  } finally {
    f.close();
  }
});
