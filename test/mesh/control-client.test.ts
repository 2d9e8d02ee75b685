// The control client's failure paths, against the real coordinator app with a fetch that can be
// bent: no answer, plaintext answers of every kind, answers that do not authenticate, a
// forgotten session, and session renewal. Only a sealed refusal is a ControlRefusal.

import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";
import { ControlRefusal, ControlUnavailable, type ControlClient } from "../../src/mesh/control-client.js";
import { SESSION_LIFETIME_MS } from "../../src/mesh/control-protocol.js";
import type { LocalIdentity } from "../../src/wireguard/noise.js";
import { CoordinatorFixture, report } from "./coordinator-fixture.js";

type Bend = (request: Request, real: () => Promise<Response>) => Promise<Response>;

describe("control client", () => {
  let f: CoordinatorFixture;
  let identity: LocalIdentity;
  let requests: string[];
  let bend: Bend | null;
  let client: ControlClient;

  beforeEach(async () => {
    f = new CoordinatorFixture();
    identity = f.newIdentity();
    requests = [];
    bend = null;
    const fetch: typeof globalThis.fetch = async (input, init) => {
      const request = new Request(input as string, init);
      requests.push(new URL(request.url).pathname);
      const real = (): Promise<Response> => f.fetch(input, init);
      return bend === null ? real() : bend(request, real);
    };
    client = f.client(identity, f.identity.publicKey, fetch);
    await client.call({ op: "enroll", authKey: f.key(), ...report });
    requests = [];
  });
  afterEach(() => f.close());

  const rejection = async (call: Promise<unknown>): Promise<unknown> => {
    try {
      await call;
    } catch (error) {
      return error;
    }
    return assert.fail("the call succeeded");
  };

  test("no answer at all is 'unreachable', naming the coordinator", async () => {
    bend = async () => {
      throw new TypeError("fetch failed: ECONNREFUSED");
    };
    const error = await rejection(client.call({ op: "report", ...report }));
    assert.ok(error instanceof ControlUnavailable);
    assert.equal(error.reason, "unreachable");
    assert.match(error.message, /cannot reach the coordinator at http:\/\/coordinator\.test.*ECONNREFUSED/);
  });

  test("plaintext refusals are unauthenticated, whatever they claim, with their text quoted", async () => {
    for (const [status, code] of [[403, "not_registered"], [403, "key_expired"], [401, "auth_key_invalid"], [500, "internal"]] as const) {
      bend = async () => new Response(JSON.stringify({ error: code, message: `says ${code}` }), { status, headers: { "content-type": "application/json" } });
      const error = await rejection(client.call({ op: "report", ...report }));
      assert.ok(error instanceof ControlUnavailable, `${code}: ${String(error)}`);
      assert.equal(error.reason, "unauthenticated");
      assert.equal(error.claimedCode, code);
      assert.match(error.message, new RegExp(`HTTP ${status} without the coordinator's seal.*says ${code}`));
    }
    bend = async () => new Response("<html>Welcome to Hotel Wi-Fi, please log in</html>", { status: 200, headers: { "content-type": "text/html" } });
    const portal = await rejection(client.call({ op: "report", ...report }));
    assert.ok(portal instanceof ControlUnavailable && portal.claimedCode === null && /Hotel Wi-Fi/.test(portal.message));
  });

  test("an answer dressed as sealed that does not open is unauthenticated", async () => {
    bend = async () => new Response(new Uint8Array(64).fill(7), { status: 403, headers: { "content-type": "application/octet-stream" } });
    const error = await rejection(client.call({ op: "report", ...report }));
    assert.ok(error instanceof ControlUnavailable);
    assert.match(error.message, /did not authenticate in this session/);
  });

  test("a session response from someone without the coordinator's key is refused", async () => {
    f.wallClock += 1000;
    f.monotonic += SESSION_LIFETIME_MS; // the next call opens a new session
    bend = async (request, real) => (new URL(request.url).pathname === "/control/v1/session" ? new Response(new Uint8Array(92), { status: 200 }) : real());
    const error = await rejection(client.call({ op: "report", ...report }));
    assert.ok(error instanceof ControlUnavailable);
    assert.match(error.message, /did not prove it comes from the coordinator pinned in the auth key/);
  });

  test("a sealed refusal is a ControlRefusal with the coordinator's code and status", async () => {
    f.coordinator.removeNode("laptop");
    const error = await rejection(client.call({ op: "report", ...report }));
    assert.ok(error instanceof ControlRefusal);
    assert.equal(error.code, "not_registered");
    assert.equal(error.status, 403);
  });

  test("a forgotten session is reopened once per call, then the call goes through", async () => {
    let forgotten = 1;
    bend = async (request, real) => {
      if (new URL(request.url).pathname === "/control/v1/call" && forgotten-- > 0) {
        return new Response(JSON.stringify({ error: "session_unknown", message: "no such session" }), { status: 401, headers: { "content-type": "application/json" } });
      }
      return real();
    };
    f.wallClock += 1000;
    assert.equal((await client.call({ op: "report", ...report })).op, "report");
    assert.deepEqual(requests, ["/control/v1/call", "/control/v1/session", "/control/v1/call"]);

    forgotten = Infinity; // a path that keeps saying so costs one handshake per call, no loop
    requests = [];
    f.wallClock += 1000;
    const error = await rejection(client.call({ op: "report", ...report }));
    assert.ok(error instanceof ControlUnavailable && error.claimedCode === "session_unknown");
    assert.deepEqual(requests, ["/control/v1/call", "/control/v1/session", "/control/v1/call"]);
  });

  test("a session is renewed before the coordinator forgets it", async () => {
    await client.call({ op: "report", ...report });
    assert.deepEqual(requests, ["/control/v1/call"]);
    f.monotonic += SESSION_LIFETIME_MS - 30_000;
    f.wallClock += 1000;
    await client.call({ op: "report", ...report });
    assert.deepEqual(requests, ["/control/v1/call", "/control/v1/session", "/control/v1/call"]);
  });
});
