// The coordinator as the daemon runs it (startCoordinator: real HTTP on loopback): the source a
// handshake is counted against is the TCP peer (not anything the request says), bodies are
// read within their limit, and a node enrolls and polls through it.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createCryptoCore } from "../../src/dataplane/crypto-core.js";
import { compileCryptoWasm } from "../../src/dataplane/crypto-wasm.js";
import { startCoordinator } from "../../src/daemon/coordinator.js";
import { requestJson } from "../../src/io/unix-http-client.js";
import { createControlClient } from "../../src/mesh/control-client.js";
import { DEFAULT_HANDSHAKE_LIMITS } from "../../src/mesh/handshake-admission.js";
import { clampPrivateKey, createFastestX25519 } from "../../src/wireguard/x25519.js";
import { createSeededRandom } from "../fakes/seeded-random.js";
import { report } from "./coordinator-fixture.js";

// POST `body` from the local address `from`; the status.
function post(url: string, body: Uint8Array, from: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = request({ host: target.hostname, port: target.port, path: target.pathname, method: "POST", localAddress: from, headers: { "content-length": String(body.length), ...headers } }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end(body);
  });
}

test("over real HTTP: handshakes are counted per TCP peer, bodies are limited, a node enrolls and polls", async () => {
  const stateDir = mkdtempSync(join(tmpdir(), "meshgate-coordinator-tcp-"));
  const logs: string[] = [];
  const coordinator = await startCoordinator({ stateDir, listenHost: "127.0.0.1", listenPort: 0, log: (line) => logs.push(line) });
  try {
    const session = `${coordinator.controlUrl}/control/v1/session`;
    const wrongMac1 = new Uint8Array(148);
    wrongMac1[0] = 1;
    const statuses: number[] = [];
    for (let i = 0; i <= DEFAULT_HANDSHAKE_LIMITS.perSource.burst; i++) statuses.push(await post(session, wrongMac1, "127.0.0.1", { "x-forwarded-for": `192.0.2.${i}` }));
    assert.deepEqual(new Set(statuses.slice(0, -1)), new Set([401]), "refused on mac1");
    assert.equal(statuses.at(-1), 429, "the source's burst is spent, whatever the headers say");
    assert.equal(await post(session, wrongMac1, "127.0.0.3"), 401, "another TCP peer is another source");
    assert.equal(await post(session, new Uint8Array(2000), "127.0.0.4"), 413, "larger than a session request may be");
    assert.equal(await post(`${coordinator.controlUrl}/control/v1/call`, new Uint8Array(70_000), "127.0.0.4"), 413);

    const created = await requestJson(coordinator.adminSocket, "POST", "/v1/keys", {});
    const noise = { crypto: createCryptoCore(compileCryptoWasm("release")), x25519: createFastestX25519(), random: createSeededRandom(5) };
    const privateKey = clampPrivateKey(createSeededRandom(6).bytes(32));
    const client = createControlClient({
      coordinatorUrl: coordinator.controlUrl,
      coordinatorKey: Uint8Array.from(Buffer.from(coordinator.publicKey, "base64")),
      identity: { privateKey, publicKey: noise.x25519.publicKey(privateKey) },
      noise,
      fetch,
      wallClock: Date.now,
      now: () => performance.now(),
    });
    // From 127.0.0.1, whose bucket is empty: the handshake waits for a token (the client retries).
    let answer;
    for (let attempt = 0; answer === undefined && attempt < 20; attempt++) {
      answer = await client.call({ op: "enroll", authKey: String(created.body["key"]), ...report }).catch(async () => {
        await new Promise((resolve) => setTimeout(resolve, 250));
        return undefined;
      });
    }
    assert.equal(answer?.op, "enroll");
    const polled = await client.call({ op: "poll", version: 0 });
    assert.ok(polled.op === "poll" && polled.update.kind === "full");
  } finally {
    await coordinator.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
});
