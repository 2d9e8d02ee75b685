// Pre-auth keys: the text format, and which keys may enroll a node.

import assert from "node:assert/strict";
import { test } from "node:test";
import { authKeyVerdict, generateAuthKey, hashAuthKeySecret, parseAuthKey } from "../../src/mesh/auth-key.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

const coordinatorKey = createSeededRandom(7).bytes(32);

test("a generated key parses back to the coordinator key, id and secret", () => {
  const { text, parsed } = generateAuthKey(createSeededRandom(1), coordinatorKey);
  assert.match(text, /^mgauth1-[A-Za-z0-9_-]{43}-[0-9a-f]{8}-[A-Za-z0-9_-]{43}$/);
  const back = parseAuthKey(`  ${text}\n`)!;
  assert.deepEqual([...back.coordinatorKey], [...coordinatorKey]);
  assert.equal(back.id, parsed.id);
  assert.deepEqual([...back.secret], [...parsed.secret]);
  for (const bad of ["", "mgauth1-x-y-z", text.replace("mgauth1", "mgauth2"), text.slice(0, -1), `${text}A`]) assert.equal(parseAuthKey(bad), null, bad);
});

test("verdicts: unknown, wrong secret, revoked, expired, one-off spent, reusable", () => {
  const { parsed } = generateAuthKey(createSeededRandom(2), coordinatorKey);
  const state = { secretHash: hashAuthKeySecret(parsed.secret), reusable: false, expiresAt: 1000, revokedAt: null, usedCount: 0 };
  assert.equal(authKeyVerdict(state, parsed.secret, 999), "ok");
  assert.equal(authKeyVerdict(null, parsed.secret, 0), "unknown");
  assert.equal(authKeyVerdict(state, new Uint8Array(32), 0), "wrong_secret");
  assert.equal(authKeyVerdict({ ...state, revokedAt: 5 }, parsed.secret, 0), "revoked");
  assert.equal(authKeyVerdict(state, parsed.secret, 1000), "expired");
  assert.equal(authKeyVerdict({ ...state, usedCount: 1 }, parsed.secret, 0), "spent");
  assert.equal(authKeyVerdict({ ...state, usedCount: 5, reusable: true, expiresAt: null }, parsed.secret, 1e15), "ok");
});
