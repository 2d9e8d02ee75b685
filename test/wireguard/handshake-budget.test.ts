// The handshake budget: a bounded burst per call, a bounded share of time, refilled by `now`.

import assert from "node:assert/strict";
import { test } from "node:test";
import { CHECK_COST_US, createHandshakeBudget, HANDSHAKE_BURST_US, HANDSHAKE_SHARE, NOISE_COST_US } from "../../src/wireguard/handshake-budget.js";

test("one call may do at most a burst of work, then must wait", () => {
  const budget = createHandshakeBudget();
  let checks = 0;
  while (budget.canWork(1000)) {
    budget.spend(CHECK_COST_US);
    checks++;
  }
  assert.equal(checks, Math.ceil(HANDSHAKE_BURST_US / CHECK_COST_US));
  assert.ok(budget.readyAt() > 1000, "not before time has passed");
  assert.equal(budget.canWork(1000), false, "the same instant gives nothing more");
});

test("the budget refills at HANDSHAKE_SHARE of elapsed time, never beyond the burst", () => {
  const budget = createHandshakeBudget();
  budget.canWork(0);
  budget.spend(HANDSHAKE_BURST_US + NOISE_COST_US); // work is paid after it is done: a debt
  const readyAt = budget.readyAt();
  const expected = (NOISE_COST_US + 1) / (1000 * HANDSHAKE_SHARE);
  assert.ok(Math.abs(readyAt - expected) < 1e-9, `ready at ${readyAt} ms, expected ${expected}`);
  assert.equal(budget.canWork(readyAt - 0.01), false);
  assert.equal(budget.canWork(readyAt), true);
  // A long pause earns one burst, not more.
  budget.canWork(1_000_000);
  let spent = 0;
  while (budget.canWork(1_000_000)) {
    budget.spend(CHECK_COST_US);
    spent += CHECK_COST_US;
  }
  assert.ok(spent <= HANDSHAKE_BURST_US + CHECK_COST_US, `${spent} µs after a long pause`);
});

test("over a long flood, work stays within HANDSHAKE_SHARE of the time", () => {
  const budget = createHandshakeBudget();
  let workUs = 0;
  const seconds = 10;
  for (let now = 0; now < seconds * 1000; now += 0.1) {
    // every 0.1 ms a call arrives with more work than it may do
    while (budget.canWork(now)) {
      const cost = workUs % 7 === 0 ? NOISE_COST_US : CHECK_COST_US;
      budget.spend(cost);
      workUs += cost;
    }
  }
  const share = workUs / (seconds * 1e6);
  assert.ok(share <= HANDSHAKE_SHARE * 1.01 + HANDSHAKE_BURST_US / (seconds * 1e6), `share ${share}`);
  assert.ok(share >= HANDSHAKE_SHARE * 0.95, `share ${share}: the budget is used, not wasted`);
});

test("a clock that goes backwards earns nothing", () => {
  const budget = createHandshakeBudget();
  budget.canWork(500);
  budget.spend(HANDSHAKE_BURST_US);
  assert.equal(budget.canWork(400), false);
  assert.equal(budget.canWork(500), false);
});
