// The STUN server (src/io/stun-server.ts) on real sockets on this machine's loopback — no
// root, no namespace: it answers Binding requests on each of its ports, drops and counts the
// rest, logs drops at a bounded rate, refuses a port in use with a hint; the prober script the
// NAT lab runs learns its endpoint from it; the coordinator starts and stops it on --stun-port.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseStunPort } from "../../src/cli/coordinator.js";
import { UsageError } from "../../src/cli/options.js";
import { startCoordinator } from "../../src/daemon/coordinator.js";
import { startStunServer, type RunningStunServer } from "../../src/io/stun-server.js";
import { parseIpEndpoint, type Endpoint } from "../../src/net/endpoint.js";
import { decodeStunMessage, encodeBindingRequest } from "../../src/nat/stun.js";
import { respondToStun } from "../../src/nat/stun-responder.js";
import { capability, testNeeding } from "../requirements.js";

const PROBE = fileURLToPath(new URL("../interop/stun-probe.js", import.meta.url));

const ipv6Loopback = capability("an IPv6 loopback (::1)", "IPv6 enabled on lo", () =>
  Object.values(networkInterfaces()).some((addresses) => addresses?.some((address) => address.address === "::1")),
);

// A client socket that collects what it receives.
async function client(type: "udp4" | "udp6", host: string): Promise<{ socket: Socket; port: number; received: { bytes: Buffer; from: string }[]; next(): Promise<Buffer> }> {
  const socket = createSocket(type);
  const received: { bytes: Buffer; from: string }[] = [];
  const waiting: ((bytes: Buffer) => void)[] = [];
  socket.on("message", (bytes, from) => {
    received.push({ bytes, from: `${from.address}:${from.port}` });
    waiting.shift()?.(bytes);
  });
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  return {
    socket,
    port: socket.address().port,
    received,
    next: () => new Promise((resolve) => waiting.push(resolve)),
  };
}

const endpointsOf = (server: RunningStunServer): Endpoint[] => server.endpoints.map((text) => parseIpEndpoint(text)!);

describe("the STUN server on loopback", () => {
  test("answers a Binding request on each of its ports with the client's endpoint; drops, counts and logs the rest at a bounded rate", async () => {
    const logs: string[] = [];
    const server = await startStunServer({ host: "127.0.0.1", ports: [0, 0], respond: respondToStun, log: (line) => logs.push(line), logIntervalMs: 60_000 });
    const c = await client("udp4", "127.0.0.1");
    try {
      const targets = endpointsOf(server);
      assert.equal(targets.length, 2);
      assert.notEqual(targets[0]!.port, targets[1]!.port);
      for (const [index, target] of targets.entries()) {
        const id = new Uint8Array(12).fill(index + 1);
        const answer = c.next();
        c.socket.send(encodeBindingRequest(id), target.port, target.host);
        const message = decodeStunMessage(await answer);
        assert.deepEqual(message?.mapped, { host: "127.0.0.1", port: c.port });
        assert.deepEqual(message?.transactionId, id);
      }
      // Datagrams that are not Binding requests, then one that is: its answer arriving means
      // the others were handled (one socket pair, one queue) — and got no answer. In rounds, so
      // the server's receive buffer never overflows.
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 10; i++) c.socket.send(i % 2 === 0 ? Buffer.from("not stun at all") : Buffer.alloc(2000), targets[0]!.port, targets[0]!.host);
        const id = new Uint8Array(12).fill(0x10 + round);
        const answer = c.next();
        c.socket.send(encodeBindingRequest(id), targets[0]!.port, targets[0]!.host);
        assert.deepEqual(decodeStunMessage(await answer)?.transactionId, id);
      }
      assert.equal(c.received.length, 6, "only the Binding requests were answered");
      assert.deepEqual(server.counters(), { answered: 6, dropped: { "not-stun": 20, oversize: 20 } });
      assert.equal(logs.length, 1, `one line for the interval so far: ${logs.join(" | ")}`);
      assert.match(logs[0]!, /^stun: dropped a datagram \(not-stun\): from 127\.0\.0\.1 port \d+, 15 bytes$/);
    } finally {
      c.socket.close();
      await server.close();
    }
    assert.equal(logs.length, 2, "and one summary when the interval (or the server) ends");
    assert.equal(logs[1], "stun: 39 more in the last 60 s (oversize 20, not-stun 19)");
  });

  test("a port already taken is refused with what to do", async () => {
    const first = await startStunServer({ host: "127.0.0.1", ports: [0], respond: respondToStun, log: () => undefined });
    try {
      const taken = endpointsOf(first)[0]!.port;
      await assert.rejects(
        startStunServer({ host: "127.0.0.1", ports: [0, taken], respond: respondToStun, log: () => undefined }),
        new RegExp(`cannot listen on UDP 127\\.0\\.0\\.1 port ${taken} \\(EADDRINUSE\\); choose another with --stun-port, or --stun-port 0 for none`),
      );
    } finally {
      await first.close();
    }
  });

  testNeeding([ipv6Loopback], "answers over IPv6 with the client's IPv6 endpoint", async () => {
    const server = await startStunServer({ host: "::1", ports: [0], respond: respondToStun, log: () => undefined });
    const c = await client("udp6", "::1");
    try {
      const target = endpointsOf(server)[0]!;
      assert.match(server.endpoints[0]!, /^\[::1\]:\d+$/);
      const answer = c.next();
      c.socket.send(encodeBindingRequest(new Uint8Array(12)), target.port, target.host);
      assert.deepEqual(decodeStunMessage(await answer)?.mapped, { host: "::1", port: c.port });
    } finally {
      c.socket.close();
      await server.close();
    }
  });

  test("the NAT lab's probe script learns its endpoint from both ports, with retransmission and round trips", async () => {
    const server = await startStunServer({ host: "127.0.0.1", ports: [0, 0], respond: respondToStun, log: () => undefined });
    try {
      const { stdout } = await promisify(execFile)(process.execPath, [PROBE, "0", ...server.endpoints], { timeout: 60_000 });
      const printed = JSON.parse(stdout) as { report: { udp: boolean; mappedEndpoint: string; mappingVariesByDestination: boolean }; servers: { state: string; rttMs: number }[] };
      assert.equal(printed.report.udp, true);
      assert.match(printed.report.mappedEndpoint, /^127\.0\.0\.1:\d+$/);
      assert.equal(printed.report.mappingVariesByDestination, false, "loopback has no NAT");
      assert.deepEqual(printed.servers.map((s) => s.state), ["mapped", "mapped"]);
      assert.ok(printed.servers.every((s) => s.rttMs >= 0));
    } finally {
      await server.close();
    }
  });
});

// Two consecutive free UDP ports on loopback (the coordinator takes N and N + 1): found by
// binding, so a port someone else holds is skipped; retried by the caller if taken meanwhile.
async function freePortPair(): Promise<number> {
  for (;;) {
    const probe = createSocket("udp4");
    await new Promise<void>((resolve) => probe.bind(0, "127.0.0.1", resolve));
    const port = probe.address().port;
    const next = createSocket("udp4");
    const free = port < 65535 && (await new Promise<boolean>((resolve) => {
      next.once("error", () => resolve(false));
      next.bind(port + 1, "127.0.0.1", () => resolve(true));
    }));
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    if (free) await new Promise<void>((resolve) => next.close(() => resolve()));
    if (free) return port;
  }
}

test("the coordinator runs a STUN server on --stun-port and the next port, and stops it", async () => {
  const stateDir = mkdtempSync(join(tmpdir(), "meshgate-coordinator-stun-"));
  try {
    let coordinator: Awaited<ReturnType<typeof startCoordinator>> | null = null;
    let port = 0;
    for (let attempt = 0; coordinator === null; attempt++) {
      port = await freePortPair();
      coordinator = await startCoordinator({ stateDir, listenHost: "127.0.0.1", listenPort: 0, stunPort: port, log: () => undefined }).catch((error: Error) => {
        if (attempt >= 4 || !/EADDRINUSE/.test(error.message)) throw error;
        return null;
      });
    }
    assert.deepEqual(coordinator.stunEndpoints, [`127.0.0.1:${port}`, `127.0.0.1:${port + 1}`]);
    const c = await client("udp4", "127.0.0.1");
    try {
      const answer = c.next();
      c.socket.send(encodeBindingRequest(new Uint8Array(12)), port + 1, "127.0.0.1");
      assert.deepEqual(decodeStunMessage(await answer)?.mapped, { host: "127.0.0.1", port: c.port });
    } finally {
      c.socket.close();
      await coordinator.stop();
    }
    // Stopped: the ports are free again.
    const again = await startStunServer({ host: "127.0.0.1", ports: [port, port + 1], respond: respondToStun, log: () => undefined });
    await again.close();

    const without = await startCoordinator({ stateDir, listenHost: "127.0.0.1", listenPort: 0, log: () => undefined });
    assert.deepEqual(without.stunEndpoints, [], "no stunPort: no STUN server");
    await without.stop();
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
});

test("--stun-port: 3478 by default, 0 for none, never 65535 (the server takes N + 1 too)", () => {
  assert.equal(parseStunPort(undefined), 3478);
  assert.equal(parseStunPort("0"), 0);
  assert.equal(parseStunPort("65534"), 65534);
  assert.throws(() => parseStunPort("65535"), (error: unknown) => error instanceof UsageError && /at most 65534/.test(error.message));
  assert.throws(() => parseStunPort("stun"), UsageError);
});
