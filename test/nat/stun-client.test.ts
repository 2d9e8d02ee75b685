// The STUN prober (src/nat/stun-client.ts) on a fake clock: time is the number passed in, the
// random source is seeded, servers are played by the test.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Endpoint } from "../../src/net/endpoint.js";
import { decodeStunMessage, encodeBindingSuccess, STUN_BINDING_REQUEST } from "../../src/nat/stun.js";
import {
  createStunProber,
  STUN_MAX_SERVERS,
  STUN_PROBE_TIMEOUT_MS,
  STUN_REPROBE_JITTER_MS,
  STUN_REPROBE_MIN_MS,
  STUN_RETRANSMIT_INTERVAL_MS,
  type StunDatagram,
  type StunProberOptions,
} from "../../src/nat/stun-client.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

const SERVER_A = { host: "198.51.100.1", port: 3478 };
const SERVER_B = { host: "198.51.100.1", port: 3479 };
const PUBLIC = { host: "203.0.113.7", port: 41641 };

const prober = (options: Partial<StunProberOptions> = {}, seed = 1) => createStunProber({ random: createSeededRandom(seed), ...options });

// What a server answers to `request`: a success telling `mapped`.
const answer = (request: StunDatagram, mapped: Endpoint = PUBLIC): Uint8Array => encodeBindingSuccess(decodeStunMessage(request.bytes)!.transactionId, mapped);
const txid = (datagram: StunDatagram): string => Buffer.from(decodeStunMessage(datagram.bytes)!.transactionId).toString("hex");

test("a round: one Binding request per server, answers matched, round trips measured, the next round scheduled 20–26 s later", () => {
  const p = prober();
  const sent = p.start(1000, [SERVER_A, SERVER_B]);
  assert.deepEqual(sent.map((d) => d.to), [SERVER_A, SERVER_B]);
  assert.ok(sent.every((d) => decodeStunMessage(d.bytes)?.type === STUN_BINDING_REQUEST));
  assert.notEqual(txid(sent[0]!), txid(sent[1]!));
  assert.equal(p.nextDeadline(), 1000 + STUN_RETRANSMIT_INTERVAL_MS);

  assert.equal(p.handleResponse(1030, answer(sent[1]!), SERVER_B), true);
  assert.equal(p.result(), null, "not complete while a server is pending");
  assert.equal(p.probing(), true);
  assert.equal(p.handleResponse(1042, answer(sent[0]!), SERVER_A), true);
  assert.deepEqual(p.result(), {
    round: 1,
    startedAt: 1000,
    completedAt: 1042,
    servers: [
      { server: SERVER_A, state: "mapped", mapped: PUBLIC, rttMs: 42 },
      { server: SERVER_B, state: "mapped", mapped: PUBLIC, rttMs: 30 },
    ],
  });
  assert.equal(p.probing(), false);
  const next = p.nextDeadline()!;
  assert.ok(next >= 1042 + STUN_REPROBE_MIN_MS && next <= 1042 + STUN_REPROBE_MIN_MS + STUN_REPROBE_JITTER_MS, String(next));
  assert.deepEqual(p.handleTick(next - 1), [], "nothing before it is due");
  const again = p.handleTick(next);
  assert.equal(again.length, 2, "round 2 begins on its own");
  assert.ok(!again.map(txid).some((id) => sent.map(txid).includes(id)), "fresh transaction ids");
});

test("retransmits: 3 requests 500 ms apart to a silent server, each a new transaction, then a timeout at 3 s", () => {
  const p = prober();
  const first = p.start(0, [SERVER_A, SERVER_B]);
  assert.deepEqual(p.handleTick(499), []);
  const second = p.handleTick(500);
  assert.equal(second.length, 2);
  assert.equal(p.nextDeadline(), 1000);
  const third = p.handleTick(1000);
  assert.equal(third.length, 2);
  assert.equal(new Set([...first, ...second, ...third].map(txid)).size, 6);
  assert.equal(p.nextDeadline(), STUN_PROBE_TIMEOUT_MS, "no fourth attempt, only the timeout");
  assert.deepEqual(p.handleTick(1500), []);
  assert.deepEqual(p.handleTick(STUN_PROBE_TIMEOUT_MS - 1), []);
  assert.equal(p.result(), null);
  assert.deepEqual(p.handleTick(STUN_PROBE_TIMEOUT_MS), []);
  assert.deepEqual(p.result()?.servers, [{ server: SERVER_A, state: "timeout" }, { server: SERVER_B, state: "timeout" }]);
  assert.equal(p.counters.requestsSent, 6);
});

test("an answer to an earlier attempt still counts, with its own round trip; later attempts go only to silent servers", () => {
  const p = prober();
  const first = p.start(0, [SERVER_A, SERVER_B]);
  assert.equal(p.handleResponse(200, answer(first[0]!), SERVER_A), true);
  const second = p.handleTick(500);
  assert.deepEqual(second.map((d) => d.to), [SERVER_B], "A answered: only B is asked again");
  // B's first request was answered late (after the retransmission): 700 ms after it was sent.
  assert.equal(p.handleResponse(700, answer(first[1]!, { host: PUBLIC.host, port: 50000 }), SERVER_B), true);
  assert.deepEqual(p.result()?.servers.map((s) => (s.state === "mapped" ? [s.mapped.port, s.rttMs] : null)), [[41641, 200], [50000, 700]]);

  const q = prober();
  q.start(0, [SERVER_A]);
  const retry = q.handleTick(500);
  assert.equal(q.handleResponse(620, answer(retry[0]!), SERVER_A), true);
  const only = q.result()?.servers[0];
  assert.equal(only?.state === "mapped" ? only.rttMs : null, 120, "timed from the attempt it answers");
});

test("one server answers, the other times out", () => {
  const p = prober();
  const sent = p.start(0, [SERVER_A, SERVER_B]);
  p.handleResponse(10, answer(sent[0]!), SERVER_A);
  p.handleTick(500);
  p.handleTick(1000);
  p.handleTick(STUN_PROBE_TIMEOUT_MS);
  assert.deepEqual(p.result()?.servers.map((s) => s.state), ["mapped", "timeout"]);
  assert.equal(p.counters.requestsSent, 4);
});

test("anything but an answer to this round is ignored and counted: garbage, unknown ids, requests, duplicates, late answers, no address", () => {
  const p = prober();
  const sent = p.start(0, [SERVER_A, SERVER_B]);
  const stranger = encodeBindingSuccess(new Uint8Array(12).fill(7), PUBLIC);
  assert.equal(p.handleResponse(5, stranger, SERVER_A), false, "a transaction id we never sent");
  assert.equal(p.handleResponse(5, new Uint8Array([1, 2, 3]), SERVER_A), false, "garbage");
  assert.equal(p.handleResponse(5, sent[0]!.bytes, SERVER_A), false, "our own request reflected back");
  // A success for our transaction with no address in it (header only).
  const bare = Uint8Array.from(answer(sent[0]!).subarray(0, 20));
  bare[3] = 0;
  assert.equal(p.handleResponse(5, bare, SERVER_A), false, "no mapped address");
  assert.equal(p.handleResponse(10, answer(sent[0]!), SERVER_A), true, "the transaction is still open after all that");
  assert.equal(p.handleResponse(11, answer(sent[0]!), SERVER_A), false, "a duplicate answer");
  assert.equal(p.handleResponse(12, answer(sent[1]!), SERVER_B), true);
  assert.equal(p.handleResponse(13, answer(sent[1]!), SERVER_B), false, "after the round");
  assert.deepEqual(p.counters, { requestsSent: 2, responses: 2, ignoredMalformed: 1, ignoredNotSuccess: 1, ignoredUnknownTransaction: 3, ignoredNoAddress: 1 });
  assert.deepEqual(p.result()?.servers.map((s) => s.state), ["mapped", "mapped"]);
});

test("re-probing: jittered between 20 and 26 s after each round, seeded; a one-shot prober stops after one round", () => {
  const gaps = new Set<number>();
  for (let seed = 1; seed <= 40; seed++) {
    const p = prober({}, seed);
    const sent = p.start(0, [SERVER_A]);
    p.handleResponse(10, answer(sent[0]!), SERVER_A);
    const gap = p.nextDeadline()! - 10;
    assert.ok(gap >= STUN_REPROBE_MIN_MS && gap <= STUN_REPROBE_MIN_MS + STUN_REPROBE_JITTER_MS, String(gap));
    gaps.add(gap);
  }
  assert.ok(gaps.size > 30, `the gaps differ from seed to seed (${gaps.size} distinct)`);

  const once = prober({ repeat: false });
  once.start(0, [SERVER_A]);
  once.handleTick(STUN_PROBE_TIMEOUT_MS);
  assert.equal(once.result()?.round, 1);
  assert.equal(once.nextDeadline(), null);
  assert.deepEqual(once.handleTick(60_000), []);
  assert.equal(once.start(70_000, [SERVER_A]).length, 1, "start() runs another round");
});

test("start() during a round abandons it; stop() ends probing; a late tick sends one attempt, not a burst", () => {
  const p = prober();
  const old = p.start(0, [SERVER_A]);
  const fresh = p.start(100, [SERVER_B]);
  assert.equal(p.handleResponse(150, answer(old[0]!), SERVER_A), false, "the abandoned round's transaction");
  assert.equal(p.handleResponse(160, answer(fresh[0]!), SERVER_B), true);
  assert.deepEqual(p.result()?.servers, [{ server: SERVER_B, state: "mapped", mapped: PUBLIC, rttMs: 60 }]);
  p.stop();
  assert.equal(p.nextDeadline(), null);
  assert.deepEqual(p.handleTick(1e9), []);

  const late = prober();
  late.start(0, [SERVER_A]);
  assert.equal(late.handleTick(1900).length, 1, "one attempt although two were due");
  assert.equal(late.nextDeadline(), 2400);
});

test("servers: IP literals only (names are the caller's to resolve), at most 16, canonical; none at all is a finished round", () => {
  assert.throws(() => prober().start(0, [{ host: "stun.example", port: 3478 }]), /not an IP address/);
  assert.throws(() => prober().start(0, Array.from({ length: STUN_MAX_SERVERS + 1 }, (_, i) => ({ host: "192.0.2.1", port: 1000 + i }))), /at most 16/);
  const p = prober();
  const sent = p.start(0, [{ host: "2001:DB8:0::1", port: 3478 }]);
  assert.deepEqual(sent[0]!.to, { host: "2001:db8::1", port: 3478 });
  const none = prober();
  assert.deepEqual(none.start(0, []), []);
  assert.deepEqual(none.result()?.servers, []);
  assert.throws(() => prober({ attempts: 3, retransmitIntervalMs: 500, timeoutMs: 1000 }), /timeout/);
});
