// The UDP peer relay for real, on loopback (no root): startUdpRelay's socket and two nodes'
// sockets, each driving a relay client core, bind and exchange packets by node key; a taken
// port is refused with what to do.

import assert from "node:assert/strict";
import { createSocket, type Socket } from "node:dgram";
import { test } from "node:test";
import { monotonicMs } from "../../src/io/clock.js";
import { startUdpRelay } from "../../src/io/udp-relay-socket.js";
import { createUdpRelayClient, type UdpRelayClient, type UdpRelayClientAction } from "../../src/nat/udp-relay-client.js";
import { createUdpRelayServer } from "../../src/nat/udp-relay-server.js";
import { createSeededRandom } from "../fakes/seeded-random.js";
import { b64, identity, x25519, type Identity } from "../nat/relay-fixture.js";

const relayNode = identity(81);
const alice = identity(82);
const bob = identity(83);

async function until(what: string, condition: () => boolean, limitMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > limitMs) throw new Error(`waited ${limitMs} ms for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface Node {
  readonly client: UdpRelayClient;
  readonly socket: Socket;
  readonly received: { from: string; packet: string }[];
  send(to: Identity, text: string): void;
  close(): void;
}

async function node(who: Identity, relayPort: number): Promise<Node> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const client = createUdpRelayClient({ identity: who, relayKey: relayNode.publicKey, relay: { host: "127.0.0.1", port: relayPort }, x25519 });
  const received: { from: string; packet: string }[] = [];
  const run = (actions: readonly UdpRelayClientAction[]): void => {
    for (const action of actions) {
      if (action.kind === "send") socket.send(action.bytes, relayPort, "127.0.0.1");
      else received.push({ from: b64(action.from), packet: Buffer.from(action.packet).toString() });
    }
  };
  socket.on("message", (datagram, from) => run(client.handle(monotonicMs(), datagram, { host: from.address, port: from.port })));
  // The lead's packet loop ticks on nextDeadline(); a short poll is enough here (and re-sends a
  // bind a busy machine lost).
  const timer = setInterval(() => run(client.tick(monotonicMs())), 50);
  run(client.start(monotonicMs()));
  return {
    client,
    socket,
    received,
    send(to, text) {
      const bytes = client.wrap(monotonicMs(), to.publicKey, Buffer.from(text));
      assert.ok(bytes !== null, "bound");
      socket.send(bytes, relayPort, "127.0.0.1");
    },
    close() {
      clearInterval(timer);
      client.stop();
      socket.close();
    },
  };
}

test("two nodes bind at a UDP relay on loopback and exchange packets by node key", async () => {
  const allowed = new Set([alice, bob].map((who) => b64(who.publicKey)));
  const core = createUdpRelayServer({ identity: relayNode, x25519, random: createSeededRandom(2), isAllowed: (key) => allowed.has(b64(key)), log: () => undefined, createdAt: monotonicMs() });
  const relay = await startUdpRelay(0, { core, now: monotonicMs, log: () => undefined });
  const a = await node(alice, relay.port);
  const b = await node(bob, relay.port);
  try {
    await until("both bound", () => a.client.status(monotonicMs()).phase === "bound" && b.client.status(monotonicMs()).phase === "bound");
    for (let i = 0; i < 20; i++) a.send(bob, `to bob ${i}`);
    b.send(alice, "to alice");
    await until("the packets", () => b.received.length === 20 && a.received.length === 1);
    assert.ok(b.received.every((p) => p.from === b64(alice.publicKey)));
    assert.deepEqual(new Set(b.received.map((p) => p.packet)), new Set(Array.from({ length: 20 }, (_, i) => `to bob ${i}`)));
    assert.deepEqual(a.received, [{ from: b64(bob.publicKey), packet: "to alice" }]);
    assert.equal(core.stats().forwarded, 21);

    await assert.rejects(startUdpRelay(relay.port, { core, now: monotonicMs, log: () => undefined }), /already in use: pick another --relay-port/);
  } finally {
    a.close();
    b.close();
    await relay.close();
  }
});
