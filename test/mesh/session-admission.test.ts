// The session endpoint under attack, through the real app (app.request()): per-source and
// global limits refuse before any Curve25519 work; an accept costs one static DH (five X25519
// operations in all); a flood of strangers' sessions never pushes out a registered node's; the
// session and timestamp tables stay bounded; refusals are logged at a bounded rate.

import assert from "node:assert/strict";
import { test } from "node:test";
import { beginClientSession, frameCall, type ControlSession } from "../../src/mesh/control-channel.js";
import { ControlUnavailable } from "../../src/mesh/control-client.js";
import { DEFAULT_HANDSHAKE_LIMITS, sourceKey } from "../../src/mesh/handshake-admission.js";
import { DEFAULT_SESSION_LIMITS } from "../../src/mesh/coordinator-http.js";
import type { LocalIdentity } from "../../src/wireguard/noise.js";
import { createFastestX25519, type X25519 } from "../../src/wireguard/x25519.js";
import { CONTROL_URL, CoordinatorFixture, report, SOURCE_HEADER, type FixtureOptions } from "./coordinator-fixture.js";

// Counts the coordinator's X25519 operations, and the static-static ones (its private key with
// a node's public key) per node key.
function countingX25519(): { x25519: X25519; ops: () => number; staticStatic: (nodeKey: Uint8Array) => number; setStatic: (privateKey: Uint8Array) => void } {
  const inner = createFastestX25519();
  let ops = 0;
  let coordinatorPrivate: Uint8Array | null = null;
  const staticStatic = new Map<string, number>();
  const x25519: X25519 = {
    name: inner.name,
    publicKey(privateKey) {
      ops++;
      return inner.publicKey(privateKey);
    },
    sharedSecret(privateKey, publicKey) {
      ops++;
      if (coordinatorPrivate !== null && privateKey instanceof Uint8Array && Buffer.from(privateKey).equals(coordinatorPrivate)) {
        const key = Buffer.from(publicKey).toString("base64");
        staticStatic.set(key, (staticStatic.get(key) ?? 0) + 1);
      }
      return inner.sharedSecret(privateKey, publicKey);
    },
    generateEphemeral(random) {
      ops++; // a key pair: one scalar multiplication
      return inner.generateEphemeral(random);
    },
    forget: (privateKey) => inner.forget(privateKey),
  };
  return {
    x25519,
    ops: () => ops,
    staticStatic: (nodeKey) => staticStatic.get(Buffer.from(nodeKey).toString("base64")) ?? 0,
    setStatic: (privateKey) => void (coordinatorPrivate = Buffer.from(privateKey)),
  };
}

function fixture(options: FixtureOptions = {}): { f: CoordinatorFixture; counter: ReturnType<typeof countingX25519> } {
  const counter = countingX25519();
  const f = new CoordinatorFixture({ ...options, coordinatorX25519: counter.x25519 });
  counter.setStatic(f.identity.privateKey);
  return { f, counter };
}

// One handshake by hand, from `source`; the session when it was accepted.
async function handshake(f: CoordinatorFixture, identity: LocalIdentity, source: string | null): Promise<{ response: Response; session: ControlSession | null; initiation: Uint8Array }> {
  f.wallClock += 20; // a newer timestamp than any earlier initiation from the same key (they are whitened to ~17 ms)
  const pending = beginClientSession(f.noise, identity, f.identity.publicKey, f.wallClock);
  const headers: Record<string, string> = source === null ? {} : { [SOURCE_HEADER]: source };
  const response = await f.app.request(`${CONTROL_URL}/control/v1/session`, { method: "POST", body: new Uint8Array(pending.initiation), headers });
  const session = response.status === 200 ? pending.complete(new Uint8Array(await response.arrayBuffer()), f.monotonic) : (pending.complete(new Uint8Array(0), f.monotonic), null);
  return { response, session, initiation: pending.initiation };
}

async function reportIn(f: CoordinatorFixture, session: ControlSession): Promise<number> {
  const body = frameCall(session, new TextEncoder().encode(JSON.stringify({ op: "report", ...report })));
  return (await f.app.request(`${CONTROL_URL}/control/v1/call`, { method: "POST", body: new Uint8Array(body) })).status;
}

// Initiations prepared ahead, so X25519 counts cover only the coordinator's side.
function strangers(f: CoordinatorFixture, count: number): Uint8Array[] {
  return Array.from({ length: count }, () => beginClientSession(f.noise, f.newIdentity(), f.identity.publicKey, f.wallClock).initiation);
}

const post = (f: CoordinatorFixture, initiation: Uint8Array, source: string | null) =>
  f.app.request(`${CONTROL_URL}/control/v1/session`, {
    method: "POST",
    body: new Uint8Array(initiation),
    headers: source === null ? {} : { [SOURCE_HEADER]: source },
  });

test("one source gets its burst, then 429 with Retry-After before any X25519 work; other sources are not affected", async () => {
  const { f, counter } = fixture();
  try {
    const burst = DEFAULT_HANDSHAKE_LIMITS.perSource.burst;
    const initiations = strangers(f, burst + 3);
    const before = counter.ops();
    for (const initiation of initiations.slice(0, burst)) assert.equal((await post(f, initiation, "192.0.2.1")).status, 200);
    assert.equal(counter.ops() - before, 5 * burst, "five X25519 operations per accepted handshake");
    const refused = await post(f, initiations[burst]!, "192.0.2.1");
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get("retry-after")) >= 1, "Retry-After in seconds");
    assert.equal(((await refused.json()) as { error: string }).error, "rate_limited");
    assert.equal(counter.ops() - before, 5 * burst, "the refused one cost no X25519 work");
    assert.equal((await post(f, initiations[burst + 1]!, "192.0.2.2")).status, 200, "another source");
    f.monotonic += 1000 / DEFAULT_HANDSHAKE_LIMITS.perSource.perSecond;
    assert.equal((await post(f, initiations[burst + 2]!, "192.0.2.1")).status, 200, "one more token after its refill time");
    // An IPv6 /64 is one source; an IPv4-mapped address is the IPv4 one.
    assert.equal(sourceKey("2001:db8:1:2::1"), sourceKey("2001:db8:1:2:ffff::9"));
    assert.notEqual(sourceKey("2001:db8:1:2::1"), sourceKey("2001:db8:1:3::1"));
    assert.equal(sourceKey("::ffff:192.0.2.1"), "192.0.2.1");
    assert.equal(sourceKey(null), "unknown");
  } finally {
    f.close();
  }
});

test("the global budget bounds a flood from many sources, before any X25519 work; a registered node's source keeps a lane of its own", async () => {
  const global = { perSecond: 10, burst: 10 };
  const { f, counter } = fixture({ limits: { handshakes: { ...DEFAULT_HANDSHAKE_LIMITS, global, trusted: { perSecond: 5, burst: 5 } } } });
  try {
    // A registered node, whose source becomes trusted at its first handshake after enrolling.
    const node = f.newIdentity();
    await f.client(node, undefined, f.fetchFrom("198.51.100.7")).call({ op: "enroll", authKey: f.key(), ...report });
    assert.equal((await handshake(f, node, "198.51.100.7")).response.status, 200);
    f.monotonic += 10_000; // the global budget refills
    const initiations = strangers(f, global.burst + 5);
    const before = counter.ops();
    let accepted = 0;
    for (const [i, initiation] of initiations.entries()) if ((await post(f, initiation, `203.0.113.${i + 1}`)).status === 200) accepted++;
    assert.equal(accepted, global.burst, "each source is new, but all share the global budget");
    assert.equal(counter.ops() - before, 5 * global.burst, "the refused ones cost no X25519 work");
    const fromStranger = await post(f, strangers(f, 1)[0]!, "203.0.113.200");
    assert.equal(fromStranger.status, 429);
    assert.match(await fromStranger.text(), /all sources/);
    assert.equal((await handshake(f, node, "198.51.100.7")).response.status, 200, "the registered node's source still gets in");
  } finally {
    f.close();
  }
});

test("an accepted handshake computes the static-static DH once", async () => {
  const { f, counter } = fixture();
  try {
    const node = f.newIdentity();
    const before = counter.ops();
    const { session } = await handshake(f, node, "192.0.2.9");
    assert.ok(session !== null);
    assert.equal(counter.staticStatic(node.publicKey), 1, "DH(coordinator static, node static) once");
    assert.equal(counter.ops() - before, 5, "DH(s,e_i), DH(s,s_i), the response's ephemeral key, DH(e_r,e_i), DH(e_r,s_i)");
  } finally {
    f.close();
  }
});

test("a flood of strangers' sessions churns its own pool: an enrolled node's session survives, the tables stay bounded", async () => {
  const sessions = { ...DEFAULT_SESSION_LIMITS, unknownSessions: 8, unknownTimestamps: 16 };
  const { f } = fixture({ limits: { sessions } });
  try {
    const node = f.newIdentity();
    const enrolled = await handshake(f, node, "198.51.100.1");
    const enroll = frameCall(enrolled.session!, new TextEncoder().encode(JSON.stringify({ op: "enroll", authKey: f.key(), ...report })));
    assert.equal((await f.app.request(`${CONTROL_URL}/control/v1/call`, { method: "POST", body: new Uint8Array(enroll) })).status, 200);
    const registered = await handshake(f, node, "198.51.100.1"); // a second session, now as a registered node
    const flood = strangers(f, 60);
    for (const [i, initiation] of flood.entries()) assert.equal((await post(f, initiation, `203.0.113.${i + 1}`)).status, 200);
    assert.equal(await reportIn(f, enrolled.session!), 200, "the session that enrolled was promoted out of the strangers' pool");
    assert.equal(await reportIn(f, registered.session!), 200, "the registered node's session survived the flood");
    const stats = f.parts.control.stats();
    assert.equal(stats.unknownSessions, sessions.unknownSessions);
    assert.equal(stats.unknownTimestamps, sessions.unknownTimestamps);
    assert.equal(stats.registeredSessions, 2);
    assert.equal(stats.sessions, sessions.unknownSessions + 2);

    // The registered key's newest timestamp is kept whatever the flood: its recorded
    // initiation cannot be replayed to push its sessions out.
    const replayed = await post(f, registered.initiation, "203.0.113.250");
    assert.equal(replayed.status, 401, "a replayed initiation of a registered node");
    // A registered key holds at most SESSIONS_PER_NODE_KEY sessions: its own newest push out its oldest.
    const more = [];
    for (let i = 0; i < sessions.perNodeKey; i++) more.push((await handshake(f, node, "198.51.100.1")).session!);
    assert.equal(f.parts.control.stats().registeredSessions, sessions.perNodeKey);
    assert.equal(await reportIn(f, enrolled.session!), 401, "the oldest went");
    assert.equal(await reportIn(f, more.at(-1)!), 200);
  } finally {
    f.close();
  }
});

test("sessions expire in creation order; the table empties", async () => {
  const { f } = fixture();
  try {
    for (let i = 0; i < 5; i++) await handshake(f, f.newIdentity(), `192.0.2.${i + 1}`);
    assert.equal(f.parts.control.stats().sessions, 5);
    f.monotonic += DEFAULT_SESSION_LIMITS.lifetimeMs + 1;
    f.tick();
    assert.equal(f.parts.control.stats().sessions, 0);
  } finally {
    f.close();
  }
});

test("refusals are logged at a bounded rate: one line as it happens, one summary per interval", async () => {
  const { f } = fixture();
  try {
    for (let i = 0; i < 100; i++) {
      await f.app.request(`${CONTROL_URL}/control/v1/session`, { method: "POST", body: new Uint8Array(10), headers: { [SOURCE_HEADER]: `192.0.2.${i + 1}` } });
    }
    const wrongMac1 = new Uint8Array(148);
    wrongMac1[0] = 1; // an initiation's type, but no valid mac1
    for (let i = 0; i < 30; i++) await post(f, wrongMac1, "192.0.2.200"); // 20 refused on mac1, then rate-limited
    assert.equal(f.logs.filter((line) => line.startsWith("control:")).length, 1, JSON.stringify(f.logs));
    f.monotonic += 10_000;
    f.tick();
    const lines = f.logs.filter((line) => line.startsWith("control:"));
    assert.equal(lines.length, 2);
    assert.match(lines[1]!, /129 more refusals .*malformed 99, wrong_coordinator 20, rate_limited 10/);
  } finally {
    f.close();
  }
});

test("a client refused with 429 reports it as transient (never a sealed refusal)", async () => {
  const { f } = fixture({ limits: { handshakes: { ...DEFAULT_HANDSHAKE_LIMITS, perSource: { perSecond: 1, burst: 1 } } } });
  try {
    const fetch = f.fetchFrom("192.0.2.50");
    await f.client(undefined, undefined, fetch).call({ op: "enroll", authKey: f.key(), ...report });
    await assert.rejects(f.client(undefined, undefined, fetch).call({ op: "poll", version: 0 }), (error: unknown) => {
      assert.ok(error instanceof ControlUnavailable, String(error));
      assert.equal(error.claimedCode, "rate_limited");
      return true;
    });
  } finally {
    f.close();
  }
});
