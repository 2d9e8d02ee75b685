// Electing one primary router per subnet: sticky while live, failover to a live candidate,
// kept when nobody is live, gone with its last candidate.

import assert from "node:assert/strict";
import { test } from "node:test";
import { electPrimaries, type PrimaryMove } from "../../src/mesh/route-primaries.js";

const LAN = "192.168.1.0/24";

interface Case {
  readonly name: string;
  readonly previous: Record<string, number>;
  readonly candidates: Record<string, number[]>;
  readonly live: number[];
  readonly primaries: Record<string, number>;
  readonly moves: PrimaryMove[];
}

const CASES: Case[] = [
  { name: "first election: the lowest live id", previous: {}, candidates: { [LAN]: [3, 2, 1] }, live: [2, 3], primaries: { [LAN]: 2 }, moves: [{ prefix: LAN, from: null, to: 2, reason: "first" }] },
  { name: "first election with nobody live: the lowest id", previous: {}, candidates: { [LAN]: [3, 2] }, live: [], primaries: { [LAN]: 2 }, moves: [{ prefix: LAN, from: null, to: 2, reason: "first" }] },
  { name: "sticky: a live primary keeps it though a lower id is live", previous: { [LAN]: 3 }, candidates: { [LAN]: [1, 3] }, live: [1, 3], primaries: { [LAN]: 3 }, moves: [] },
  { name: "failover: the primary is not live, a candidate is", previous: { [LAN]: 1 }, candidates: { [LAN]: [1, 2, 3] }, live: [3, 2], primaries: { [LAN]: 2 }, moves: [{ prefix: LAN, from: 1, to: 2, reason: "not-live" }] },
  { name: "nobody live: the primary keeps it", previous: { [LAN]: 2 }, candidates: { [LAN]: [1, 2] }, live: [], primaries: { [LAN]: 2 }, moves: [] },
  { name: "the primary withdrew: a live candidate takes over", previous: { [LAN]: 1 }, candidates: { [LAN]: [2, 3] }, live: [3], primaries: { [LAN]: 3 }, moves: [{ prefix: LAN, from: 1, to: 3, reason: "not-candidate" }] },
  { name: "the primary withdrew and nobody is live: the lowest id", previous: { [LAN]: 1 }, candidates: { [LAN]: [3, 2] }, live: [], primaries: { [LAN]: 2 }, moves: [{ prefix: LAN, from: 1, to: 2, reason: "not-candidate" }] },
  { name: "the last candidate left: no primary", previous: { [LAN]: 1 }, candidates: { [LAN]: [] }, live: [1], primaries: {}, moves: [{ prefix: LAN, from: 1, to: null, reason: "not-candidate" }] },
  { name: "a prefix nobody advertises any more", previous: { [LAN]: 1, "10.0.0.0/8": 1 }, candidates: { [LAN]: [1] }, live: [1], primaries: { [LAN]: 1 }, moves: [{ prefix: "10.0.0.0/8", from: 1, to: null, reason: "not-candidate" }] },
  { name: "prefixes are independent", previous: { [LAN]: 1, "10.0.0.0/8": 2 }, candidates: { [LAN]: [1, 2], "10.0.0.0/8": [1, 2] }, live: [2], primaries: { [LAN]: 2, "10.0.0.0/8": 2 }, moves: [{ prefix: LAN, from: 1, to: 2, reason: "not-live" }] },
];

for (const c of CASES) {
  test(`primaries: ${c.name}`, () => {
    const live = new Set(c.live);
    const election = electPrimaries(new Map(Object.entries(c.previous)), new Map(Object.entries(c.candidates)), (id) => live.has(id));
    assert.deepEqual(Object.fromEntries(election.primaries), c.primaries);
    assert.deepEqual(election.moves, c.moves);
  });
}

test("primaries: a returning former primary does not take the route back (no flap)", () => {
  const candidates = new Map([[LAN, [1, 2]]]);
  let primaries = electPrimaries(new Map(), candidates, () => true).primaries;
  assert.equal(primaries.get(LAN), 1);
  primaries = electPrimaries(primaries, candidates, (id) => id !== 1).primaries; // 1 dies
  assert.equal(primaries.get(LAN), 2);
  const back = electPrimaries(primaries, candidates, () => true); // 1 is back
  assert.equal(back.primaries.get(LAN), 2);
  assert.deepEqual(back.moves, []);
});
