// The control channel's guarantees, through the coordinator's real HTTP app (app.request()):
// a sealed call is accepted once, counters outside the replay window are refused, and the
// channel's handshake lives in its own domain — a control initiation is no WireGuard
// initiation, and a WireGuard initiation opens no control session.

import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { createDevice } from "../../src/wireguard/device.js";
import { addMacs, createCookieJar, mac1Key } from "../../src/wireguard/cookie.js";
import { decodeInitiation } from "../../src/wireguard/messages.js";
import { consumeInitiation, createInitiation, WIREGUARD_HANDSHAKE, ZERO_KEY } from "../../src/wireguard/noise.js";
import { beginClientSession, frameCall, type ControlSession } from "../../src/mesh/control-channel.js";
import type { ControlRequest } from "../../src/mesh/control-protocol.js";
import { createSeededRandom } from "../fakes/seeded-random.js";
import { dataplaneForTest, prefixes, WALL_CLOCK_BASE_MS } from "../wireguard/device-pair.js";
import { CONTROL_URL, CoordinatorFixture, report } from "./coordinator-fixture.js";

const encoder = new TextEncoder();

describe("control channel", () => {
  let f: CoordinatorFixture;
  beforeEach(() => {
    f = new CoordinatorFixture();
  });
  afterEach(() => f.close());

  // An enrolled node with a raw session: calls are framed by hand, so the test controls counters.
  async function enrolledSession(): Promise<ControlSession> {
    const identity = f.newIdentity();
    await f.client(identity).call({ op: "enroll", authKey: f.key(), ...report });
    f.wallClock += 1000; // a second handshake from the same key needs a newer timestamp
    const pending = beginClientSession(f.noise, identity, f.identity.publicKey, f.wallClock);
    const opened = await f.app.request(`${CONTROL_URL}/control/v1/session`, { method: "POST", body: new Uint8Array(pending.initiation) });
    assert.equal(opened.status, 200);
    return pending.complete(new Uint8Array(await opened.arrayBuffer()), f.monotonic)!;
  }

  const send = (body: Uint8Array) => f.app.request(`${CONTROL_URL}/control/v1/call`, { method: "POST", body: new Uint8Array(body) });
  const reportCall = (session: ControlSession, hostname = "laptop"): Uint8Array =>
    frameCall(session, encoder.encode(JSON.stringify({ op: "report", ...report, hostname } satisfies ControlRequest)));

  test("a valid sealed call is accepted once; the same bytes again are refused", async () => {
    const session = await enrolledSession();
    const call = reportCall(session, "renamed");
    const first = await send(call);
    assert.equal(first.status, 200);
    assert.equal((JSON.parse(new TextDecoder().decode(session.open(new Uint8Array(await first.arrayBuffer()))!)) as { op: string }).op, "report");
    assert.equal(f.coordinator.listNodes()[0]!.hostname, "renamed");
    const replayed = await send(call);
    assert.equal(replayed.status, 400, "a replayed call is refused");
    assert.match(await replayed.text(), /replayed/);
  });

  test("calls may arrive out of order within the 64-call window, each once; older counters are refused", async () => {
    const session = await enrolledSession();
    const calls = Array.from({ length: 70 }, () => reportCall(session)); // counters 0..69
    assert.equal((await send(calls[69]!)).status, 200, "the newest first");
    assert.equal((await send(calls[0]!)).status, 400, "69 behind: outside the window");
    assert.equal((await send(calls[5]!)).status, 400, "64 behind: outside the window");
    assert.equal((await send(calls[6]!)).status, 200, "63 behind: inside the window");
    assert.equal((await send(calls[6]!)).status, 400, "but only once");
    assert.equal((await send(calls[40]!)).status, 200);
    assert.equal((await send(calls[68]!)).status, 200);
    assert.equal((await send(calls[40]!)).status, 400);
  });

  test("a control initiation is not a WireGuard initiation, even to a device holding the coordinator's key", () => {
    const node = f.newIdentity();
    const pending = beginClientSession(f.noise, node, f.identity.publicKey, f.wallClock);
    const device = createDevice(
      { ...dataplaneForTest(), x25519: f.noise.x25519, random: createSeededRandom(7), wallClock: () => WALL_CLOCK_BASE_MS },
      { privateKey: f.identity.privateKey },
    );
    device.upsertPeer(0, { publicKey: node.publicKey, allowedIps: prefixes("10.9.0.2/32"), endpoint: { host: "192.0.2.2", port: 51820 } });
    const actions = device.handleDatagram(0, pending.initiation, { host: "192.0.2.2", port: 51820 });
    assert.deepEqual(actions, [], "no response, no session");
    assert.equal(device.drops()["badMac1"], 1, "refused before any Curve25519 work");

    // Even with a WireGuard mac1 forged onto it, the prologue differs: the handshake fails.
    const initiation = pending.initiation.slice();
    addMacs(initiation, mac1Key(f.identity.publicKey), createCookieJar(), 0);
    const decoded = decodeInitiation(initiation)!;
    const deps = { ...f.noise, protocol: WIREGUARD_HANDSHAKE };
    const staticStatic = deps.x25519.sharedSecret(f.identity.privateKey, node.publicKey);
    const consumed = consumeInitiation(deps, f.identity, decoded, () => ({ remote: { publicKey: node.publicKey, presharedKey: ZERO_KEY, staticStatic }, lastTimestamp: null }));
    assert.equal(consumed, null);
  });

  test("a WireGuard initiation to the coordinator opens no control session", async () => {
    const node = f.newIdentity();
    const deps = { ...f.noise, protocol: WIREGUARD_HANDSHAKE };
    const remote = { publicKey: f.identity.publicKey, presharedKey: ZERO_KEY, staticStatic: deps.x25519.sharedSecret(node.privateKey, f.identity.publicKey) };
    const started = createInitiation(deps, node, remote, 1234, f.wallClock)!;
    addMacs(started.message, mac1Key(f.identity.publicKey), createCookieJar(), 0);
    const answer = await f.app.request(`${CONTROL_URL}/control/v1/session`, { method: "POST", body: new Uint8Array(started.message) });
    assert.equal(answer.status, 401);
    assert.equal(((await answer.json()) as { error: string }).error, "wrong_coordinator");
  });
});
