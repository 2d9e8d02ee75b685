// The coordinator's control API against bad and hostile input, through app.request(): every
// refusal is a 4xx with a reason, logged, and nothing it refused changes the state.

import assert from "node:assert/strict";
import { after, beforeEach, describe, test } from "node:test";
import { beginClientSession, frameCall } from "../../src/mesh/control-channel.js";
import { ControlRefusal, ControlUnavailable, type ControlClient } from "../../src/mesh/control-client.js";
import type { ControlRequest } from "../../src/mesh/control-protocol.js";
import { CONTROL_URL, CoordinatorFixture, report } from "./coordinator-fixture.js";

// A refusal sealed by the coordinator (authentic: the node may act on it).
async function refused(call: Promise<unknown>, status: number, code: string): Promise<ControlRefusal> {
  try {
    await call;
  } catch (error) {
    assert.ok(error instanceof ControlRefusal, `expected a ControlRefusal, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.equal(error.status, status, error.message);
    assert.ok(error.message.length > 20, "a reason a person can act on");
    return error;
  }
  assert.fail(`expected ${status} ${code}`);
}

const enroll = (client: ControlClient, authKey: string): Promise<unknown> => client.call({ op: "enroll", authKey, ...report });

describe("coordinator control API", () => {
  let f: CoordinatorFixture;
  beforeEach(() => {
    f = new CoordinatorFixture();
  });
  after(() => f?.close());

  test("a valid enrollment gets mesh addresses, a full map, then a delta on change", async () => {
    const client = f.client();
    const answer = await client.call({ op: "enroll", authKey: f.key({ reusable: true }), ...report });
    assert.equal(answer.op, "enroll");
    if (answer.op !== "enroll") return;
    assert.match(answer.self.ipv4, /^100\./);
    assert.equal(answer.self.name, "laptop");
    const first = await client.call({ op: "poll", version: 0 });
    assert.ok(first.op === "poll" && first.update.kind === "full" && first.update.peers.length === 0);
    await f.client().call({ op: "enroll", authKey: f.key(), ...report, hostname: "desk" });
    const second = await client.call({ op: "poll", version: first.update.version });
    assert.ok(second.op === "poll" && second.update.kind === "delta");
    if (second.update.kind === "delta") assert.deepEqual(second.update.upsert.map((peer) => peer.name), ["desk"]);
    assert.ok(f.store.audit.recent(10).some((entry) => entry.action === "enroll"));
    f.close();
  });

  test("malformed and oversized bodies, and a handshake for another coordinator", async () => {
    const short = await f.app.request(`${CONTROL_URL}/control/v1/session`, { method: "POST", body: new Uint8Array(10) });
    assert.equal(short.status, 400);
    assert.match(((await short.json()) as { message: string }).message, /148-byte/);
    const big = await f.app.request(`${CONTROL_URL}/control/v1/session`, { method: "POST", body: new Uint8Array(4000) });
    assert.equal(big.status, 413);
    const hugeCall = await f.app.request(`${CONTROL_URL}/control/v1/call`, { method: "POST", body: new Uint8Array(100_000) });
    assert.equal(hugeCall.status, 413);
    // Refused before a session exists: plaintext, so the client reports it but cannot trust it.
    await assert.rejects(f.client(undefined, f.newIdentity().publicKey).call({ op: "poll", version: 0 }), (error: unknown) => {
      assert.ok(error instanceof ControlUnavailable, String(error));
      assert.equal(error.reason, "unauthenticated");
      assert.equal(error.claimedCode, "wrong_coordinator");
      return true;
    });
    const unknownSession = await f.app.request(`${CONTROL_URL}/control/v1/call`, { method: "POST", body: new Uint8Array(64) });
    assert.equal(unknownSession.status, 401);
    assert.equal(((await unknownSession.json()) as { error: string }).error, "session_unknown");
    f.close();
  });

  test("inside a session: forged, replayed and malformed calls are refused", async () => {
    const identity = f.newIdentity();
    const pending = beginClientSession(f.noise, identity, f.identity.publicKey, f.wallClock);
    const opened = await f.app.request(`${CONTROL_URL}/control/v1/session`, { method: "POST", body: new Uint8Array(pending.initiation) });
    const session = pending.complete(new Uint8Array(await opened.arrayBuffer()), f.monotonic)!;
    assert.ok(session);
    const replayedHandshake = await f.app.request(`${CONTROL_URL}/control/v1/session`, { method: "POST", body: new Uint8Array(pending.initiation) });
    assert.equal(replayedHandshake.status, 401, "a replayed initiation opens no second session");
    const send = (body: Uint8Array) => f.app.request(`${CONTROL_URL}/control/v1/call`, { method: "POST", body: new Uint8Array(body) });
    const notJson = frameCall(session, new TextEncoder().encode("{nope"));
    const answer = await send(notJson);
    assert.equal(answer.status, 400);
    assert.match(new TextDecoder().decode(session.open(new Uint8Array(await answer.arrayBuffer()))!), /not JSON/);
    assert.equal((await send(notJson)).status, 400, "the same call replayed");
    const forged = notJson.slice();
    forged[forged.length - 1]! ^= 1;
    assert.equal((await send(forged)).status, 400);
    for (const bad of [{ op: "poll" }, { op: "poll", version: -1 }, { op: "enroll", authKey: 1 }, { op: "delete-everything" }] as unknown as ControlRequest[]) {
      const reply = await send(frameCall(session, new TextEncoder().encode(JSON.stringify(bad))));
      assert.equal(reply.status, 400, JSON.stringify(bad));
    }
    f.close();
  });

  test("enrollment refuses malformed, unknown, revoked, expired and spent keys", async () => {
    await refused(enroll(f.client(), "not-a-key"), 400, "bad_request");
    const unknown = f.key().replace(/-[0-9a-f]{8}-/, "-00000000-");
    await refused(enroll(f.client(), unknown), 401, "auth_key_invalid");
    const revoked = f.key();
    f.coordinator.revokeAuthKey(revoked.split("-")[2]!);
    await refused(enroll(f.client(), revoked), 403, "auth_key_revoked");
    const expiring = f.key({ expiresInMs: 60_000 });
    f.wallClock += 61_000;
    await refused(enroll(f.client(), expiring), 403, "auth_key_expired");
    const oneOff = f.key();
    await enroll(f.client(), oneOff);
    await refused(enroll(f.client(), oneOff), 403, "auth_key_spent");
    f.monotonic += 10_000;
    f.tick();
    assert.ok(f.logs.some((line) => line.includes("auth_key_spent")), "refusals are logged (counted in the interval's summary)");
    assert.equal(f.coordinator.listNodes().length, 1, "only the valid enrollment made a node");
    f.close();
  });

  test("a node key already registered is refused on enroll (409); unregistered and expired nodes get 403", async () => {
    const identity = f.newIdentity();
    await enroll(f.client(identity), f.key());
    // Each new client opens a new handshake; a handshake must carry a newer timestamp than the
    // last one from the same key (replays are refused), so the wall clock moves on.
    f.wallClock += 1000;
    await refused(enroll(f.client(identity), f.key()), 409, "node_key_in_use");
    assert.ok(f.store.audit.recent(10).some((entry) => entry.action === "enroll-refused"));
    await refused(f.client().call({ op: "poll", version: 0 }), 403, "not_registered");
    await refused(f.client().call({ op: "report", ...report }), 403, "not_registered");
    f.coordinator.expireNode("laptop");
    f.wallClock += 1000;
    const again = f.client(identity);
    await refused(again.call({ op: "poll", version: 0 }), 403, "key_expired");
    const renewed = await again.call({ op: "renew", authKey: f.key() });
    assert.ok(renewed.op === "renew" && renewed.keyExpiresAt! > f.wallClock);
    const polled = await again.call({ op: "poll", version: 0 });
    assert.equal(polled.op, "poll", "renewed node polls again");
    assert.equal(f.coordinator.listNodes().length, 1, "nothing else was created");
    f.close();
  });
});
