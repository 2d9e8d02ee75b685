// Timer events as a table (whitepaper §6; event names as the kernel and wireguard-go use them).

import assert from "node:assert/strict";
import { test } from "node:test";
import { KEEPALIVE_TIMEOUT_MS, REKEY_TIMEOUT_MS, ZERO_KEY_MATERIAL_AFTER_MS } from "../../src/wireguard/constants.js";
import {
  createPeerTimers,
  expiredTimers,
  nextTimerDeadline,
  NOT_ARMED,
  onAuthenticatedPacketReceived,
  onAuthenticatedPacketSent,
  onAuthenticatedTraversal,
  onDataReceived,
  onDataSent,
  onHandshakeComplete,
  onHandshakeInitiated,
  onSessionDerived,
  setPersistentKeepalive,
} from "../../src/wireguard/timers.js";

test("each event arms or stops the right timer", () => {
  const t = createPeerTimers();
  assert.equal(nextTimerDeadline(t), null);
  let draws = 0;
  const jitter = (): number => (draws++, 100);
  onDataSent(t, 1000, jitter);
  assert.equal(t.deadlines.newHandshake, 1000 + KEEPALIVE_TIMEOUT_MS + REKEY_TIMEOUT_MS + 100);
  onDataSent(t, 5000, jitter);
  assert.equal(t.deadlines.newHandshake, 1000 + KEEPALIVE_TIMEOUT_MS + REKEY_TIMEOUT_MS + 100, "not pushed back");
  assert.equal(draws, 1, "no random draw while the timer is already armed");
  onAuthenticatedPacketReceived(t);
  assert.equal(t.deadlines.newHandshake, NOT_ARMED);

  onDataReceived(t, 2000);
  assert.equal(t.deadlines.sendKeepalive, 2000 + KEEPALIVE_TIMEOUT_MS);
  onDataReceived(t, 3000);
  assert.equal(t.needAnotherKeepalive, true);
  onAuthenticatedPacketSent(t);
  assert.equal(t.deadlines.sendKeepalive, NOT_ARMED);

  onHandshakeInitiated(t, 0, 300);
  assert.equal(t.deadlines.retransmitHandshake, REKEY_TIMEOUT_MS + 300);
  t.handshakeAttempts = 4;
  onHandshakeComplete(t);
  assert.equal(t.deadlines.retransmitHandshake, NOT_ARMED);
  assert.equal(t.handshakeAttempts, 0);

  onSessionDerived(t, 10);
  assert.equal(t.deadlines.zeroKeyMaterial, 10 + ZERO_KEY_MATERIAL_AFTER_MS);
  onAuthenticatedTraversal(t, 50);
  assert.equal(t.deadlines.persistentKeepalive, NOT_ARMED, "off unless configured");
  setPersistentKeepalive(t, 50, 25_000);
  onAuthenticatedTraversal(t, 60);
  assert.equal(t.deadlines.persistentKeepalive, 25_060);
});

test("expiredTimers returns and stops exactly the due timers", () => {
  const t = createPeerTimers();
  onHandshakeInitiated(t, 0, 0);
  onDataReceived(t, 0);
  onSessionDerived(t, 0);
  assert.deepEqual(expiredTimers(t, REKEY_TIMEOUT_MS - 1), []);
  assert.deepEqual(expiredTimers(t, KEEPALIVE_TIMEOUT_MS), ["retransmitHandshake", "sendKeepalive"]);
  assert.equal(t.deadlines.retransmitHandshake, NOT_ARMED);
  assert.equal(nextTimerDeadline(t), ZERO_KEY_MATERIAL_AFTER_MS);
});

test("every deadline armed is told to onArm, so a lower bound over all peers stays at or before the soonest", () => {
  const told: number[] = [];
  const t = createPeerTimers(0, (deadline) => told.push(deadline));
  onHandshakeInitiated(t, 0, 7);
  onDataSent(t, 10, () => 3);
  onDataSent(t, 20, () => 3); // already armed: nothing new
  onDataReceived(t, 30);
  onSessionDerived(t, 40);
  setPersistentKeepalive(t, 50, 25_000);
  onAuthenticatedTraversal(t, 60);
  onAuthenticatedPacketSent(t); // stops sendKeepalive: nobody needs telling
  setPersistentKeepalive(t, 70, 0);
  assert.deepEqual(told, [
    REKEY_TIMEOUT_MS + 7,
    10 + KEEPALIVE_TIMEOUT_MS + REKEY_TIMEOUT_MS + 3,
    30 + KEEPALIVE_TIMEOUT_MS,
    40 + ZERO_KEY_MATERIAL_AFTER_MS,
    25_050,
    25_060,
  ]);
  for (const name of ["retransmitHandshake", "newHandshake", "zeroKeyMaterial"] as const) {
    assert.ok(told.includes(t.deadlines[name]), `${name}'s deadline was told`);
  }
});
