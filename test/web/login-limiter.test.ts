import assert from "node:assert/strict";
import { test } from "node:test";
import { createLoginLimiter, FAILURE_WINDOW_MS, MAX_FAILURES, MAX_TRACKED_SOURCES } from "../../web/auth/login-limiter.js";

test(`${MAX_FAILURES} failures within the window block the source until the oldest leaves it`, () => {
  const limiter = createLoginLimiter();
  for (let i = 0; i < MAX_FAILURES; i++) {
    assert.equal(limiter.blockedForMs("a", i * 1000), 0, `attempt ${i + 1} allowed`);
    limiter.recordFailure("a", i * 1000);
  }
  assert.equal(limiter.blockedForMs("a", MAX_FAILURES * 1000), FAILURE_WINDOW_MS - MAX_FAILURES * 1000);
  assert.equal(limiter.blockedForMs("b", MAX_FAILURES * 1000), 0, "other sources are not blocked");
  assert.equal(limiter.blockedForMs("a", FAILURE_WINDOW_MS - 1), 1);
  assert.equal(limiter.blockedForMs("a", FAILURE_WINDOW_MS), 0, "the first failure left the window");
});

test("failures older than the window do not count", () => {
  const limiter = createLoginLimiter();
  for (let i = 0; i < MAX_FAILURES - 1; i++) limiter.recordFailure("a", 0);
  limiter.recordFailure("a", FAILURE_WINDOW_MS);
  assert.equal(limiter.blockedForMs("a", FAILURE_WINDOW_MS), 0);
});

test("a success clears the source", () => {
  const limiter = createLoginLimiter();
  for (let i = 0; i < MAX_FAILURES; i++) limiter.recordFailure("a", 0);
  limiter.recordSuccess("a");
  assert.equal(limiter.blockedForMs("a", 1), 0);
});

test(`at most ${MAX_TRACKED_SOURCES} sources are remembered; the least recently failed is forgotten first`, () => {
  const limiter = createLoginLimiter();
  for (let i = 0; i < MAX_FAILURES; i++) limiter.recordFailure("first", 0);
  for (let i = 0; i < MAX_FAILURES; i++) limiter.recordFailure("second", 0);
  for (let i = 0; i < MAX_TRACKED_SOURCES - 2; i++) limiter.recordFailure(`filler-${i}`, 1);
  limiter.recordFailure("first", 2); // "first" failed again: now "second" is the least recent
  assert.ok(limiter.blockedForMs("second", 3) > 0, "still remembered while there is room");
  limiter.recordFailure("newcomer", 3);
  assert.equal(limiter.blockedForMs("second", 3), 0, "forgotten to make room");
  assert.ok(limiter.blockedForMs("first", 3) > 0);
});
