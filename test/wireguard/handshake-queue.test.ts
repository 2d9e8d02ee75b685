// The handshake queue: bounded, oldest first, copies (the receive path's arena slot is reused).

import assert from "node:assert/strict";
import { test } from "node:test";
import type { Endpoint } from "../../src/net/endpoint.js";
import { createHandshakeQueue, HANDSHAKE_QUEUE_CAPACITY } from "../../src/wireguard/handshake-queue.js";
import { INITIATION_BYTES, RESPONSE_BYTES } from "../../src/wireguard/messages.js";

const from: Endpoint = { host: "192.0.2.1", port: 51820 };
const message = (fill: number, length = INITIATION_BYTES): Uint8Array => new Uint8Array(length).fill(fill);

test("oldest first, with each message's length, source and arrival time; a copy, not the caller's bytes", () => {
  const queue = createHandshakeQueue(4);
  const arena = message(1);
  queue.push(10, arena, from);
  arena.fill(9); // the receive path reuses its slot at once
  queue.push(11, message(2, RESPONSE_BYTES), { host: "192.0.2.2", port: 1 });
  assert.equal(queue.oldestAt, 10);
  const first = queue.take()!;
  assert.deepEqual([first.bytes.length, first.bytes[0], first.bytes.at(-1), first.from], [INITIATION_BYTES, 1, 1, from]);
  assert.equal(queue.oldestAt, 11);
  const second = queue.take()!;
  assert.deepEqual([second.bytes.length, second.bytes[0], second.from.host], [RESPONSE_BYTES, 2, "192.0.2.2"]);
  assert.equal(queue.take(), null);
  assert.equal(queue.oldestAt, null);
});

test("bounded: a full queue refuses, and wrapping around keeps the order", () => {
  const queue = createHandshakeQueue(3);
  for (let i = 0; i < 3; i++) assert.equal(queue.push(i, message(i), from), true);
  assert.equal(queue.push(3, message(3), from), false, "full");
  assert.equal(queue.length, 3);
  for (let round = 0; round < 10; round++) {
    const taken = queue.take()!;
    assert.equal(taken.bytes[0], round % 256);
    assert.equal(queue.push(round + 3, message(round + 3), from), true);
  }
  assert.equal(queue.length, 3);
  queue.clear();
  assert.equal(queue.length, 0);
  assert.equal(queue.take(), null);
});

test("holds wireguard-go's 1024 messages by default, no more", () => {
  const queue = createHandshakeQueue();
  let accepted = 0;
  for (let i = 0; i < 5000; i++) if (queue.push(0, message(i % 256), from)) accepted++;
  assert.equal(accepted, HANDSHAKE_QUEUE_CAPACITY);
  assert.equal(queue.capacity, 1024);
});
