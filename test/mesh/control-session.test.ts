// Messages of any size in a control session (control-session.ts): chunked, each chunk sealed
// with its own nonce (chunk index ‖ message counter) and the last one marked, so a message
// round-trips whole or not at all — truncated, reordered, spliced or forged chunk sequences are
// refused — and a one-chunk message is byte for byte the single-seal format from before.

import assert from "node:assert/strict";
import { test } from "node:test";
import { createCryptoCore } from "../../src/dataplane/crypto-core.js";
import { compileCryptoWasm } from "../../src/dataplane/crypto-wasm.js";
import { CHUNK_PLAINTEXT_BYTES, ControlSession, COUNTER_BYTES, sealedLength, TAG_BYTES } from "../../src/mesh/control-session.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

const crypto = createCryptoCore(compileCryptoWasm("release"));
const CHUNK_SEALED = CHUNK_PLAINTEXT_BYTES + TAG_BYTES;

// Two ends of one session: a's send key is b's receive key and the reverse.
function pair(): { a: ControlSession; b: ControlSession } {
  const random = createSeededRandom(3);
  const k1 = random.bytes(32);
  const k2 = random.bytes(32);
  const peer = new Uint8Array(32);
  return {
    a: new ControlSession(1, peer, crypto, { send: k1.slice(), receive: k2.slice() }, 0),
    b: new ControlSession(1, peer, crypto, { send: k2.slice(), receive: k1.slice() }, 0),
  };
}

const payloadOf = (length: number, seed = 1): Uint8Array => createSeededRandom(seed).bytes(length);

// The sealed chunks of a message, as separate arrays (after the counter).
function chunksOf(message: Uint8Array): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let offset = COUNTER_BYTES; offset < message.length; offset += CHUNK_SEALED) chunks.push(message.slice(offset, offset + CHUNK_SEALED));
  return chunks;
}

function assemble(counterOf: Uint8Array, chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(COUNTER_BYTES + chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  out.set(counterOf.subarray(0, COUNTER_BYTES));
  let offset = COUNTER_BYTES;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

test("messages of every size round-trip, in as many chunks as their length needs", () => {
  const { a, b } = pair();
  const sizes = [0, 1, CHUNK_PLAINTEXT_BYTES - 1, CHUNK_PLAINTEXT_BYTES, CHUNK_PLAINTEXT_BYTES + 1, 2 * CHUNK_PLAINTEXT_BYTES, 200_000, 1_000_000];
  for (const [i, size] of sizes.entries()) {
    const payload = payloadOf(size, i + 10);
    const sealed = a.seal(payload);
    assert.equal(sealed.length, sealedLength(size), `${size} bytes`);
    assert.equal(sealed.length, COUNTER_BYTES + size + Math.max(1, Math.ceil(size / CHUNK_PLAINTEXT_BYTES)) * TAG_BYTES);
    assert.deepEqual(b.open(sealed), payload, `${size} bytes`);
  }
});

test("a one-chunk message is the single-seal format: nonce 0 ‖ counter, no associated data", () => {
  const random = createSeededRandom(9);
  const key = random.bytes(32);
  const session = new ControlSession(1, new Uint8Array(32), crypto, { send: key.slice(), receive: new Uint8Array(32) }, 0);
  session.seal(payloadOf(10)); // counter 0
  const payload = payloadOf(CHUNK_PLAINTEXT_BYTES, 4);
  const sealed = session.seal(payload); // counter 1
  const nonce = new Uint8Array(12);
  nonce[4] = 1;
  const expected = new Uint8Array(COUNTER_BYTES + payload.length + TAG_BYTES);
  expected[0] = 1;
  expected.set(crypto.seal(key, nonce, payload), COUNTER_BYTES);
  assert.deepEqual(sealed, expected);
});

test("truncated, reordered, spliced, extended and forged chunk sequences are refused; the genuine message still opens", () => {
  const { a, b } = pair();
  const payload = payloadOf(2 * CHUNK_PLAINTEXT_BYTES + 1000, 5); // two full chunks and a short one
  const message = a.seal(payload);
  const other = a.seal(payloadOf(3 * CHUNK_PLAINTEXT_BYTES, 6)); // three full chunks, another counter
  const chunks = chunksOf(message);
  assert.equal(chunks.length, 3);
  const otherChunks = chunksOf(other);

  const attempts: [string, Uint8Array][] = [
    ["the last chunk dropped", assemble(message, chunks.slice(0, 2))],
    ["the last two chunks dropped", assemble(message, chunks.slice(0, 1))],
    ["cut inside the last chunk", message.subarray(0, message.length - 1)],
    ["cut inside a chunk, leaving a piece shorter than a tag", message.subarray(0, COUNTER_BYTES + CHUNK_SEALED + 5)],
    ["two chunks swapped", assemble(message, [chunks[1]!, chunks[0]!, chunks[2]!])],
    ["a chunk from another message", assemble(message, [chunks[0]!, otherChunks[1]!, chunks[2]!])],
    ["a chunk appended", assemble(message, [...chunks, otherChunks[2]!])],
    ["another message's chunks under this counter", assemble(message, otherChunks)],
    ["a byte flipped in the middle chunk", (() => {
      const forged = message.slice();
      forged[COUNTER_BYTES + CHUNK_SEALED + 100]! ^= 1;
      return forged;
    })()],
    ["the counter changed", (() => {
      const forged = message.slice();
      forged[0]! ^= 1;
      return forged;
    })()],
    ["counter only", message.subarray(0, COUNTER_BYTES)],
  ];
  for (const [what, attempt] of attempts) assert.equal(b.open(attempt), null, what);
  assert.deepEqual(b.open(message), payload, "failed attempts did not use up the counter");
  assert.equal(b.open(message), null, "a replay is refused");
  assert.deepEqual(b.open(other)?.length, 3 * CHUNK_PLAINTEXT_BYTES, "a message whose last chunk is a full one");
});

test("a closed session neither seals nor opens", () => {
  const { a, b } = pair();
  const sealed = a.seal(payloadOf(100));
  b.close();
  assert.equal(b.open(sealed), null);
  a.close();
  assert.throws(() => a.seal(payloadOf(1)), /closed/);
});

test("closing wipes the session's key bytes (they are the arrays the handshake handed over)", () => {
  const keys = { send: createSeededRandom(5).bytes(32), receive: createSeededRandom(6).bytes(32) };
  const session = new ControlSession(7, new Uint8Array(32), crypto, keys, 0);
  session.seal(payloadOf(10));
  session.close();
  assert.deepEqual([keys.send, keys.receive], [new Uint8Array(32), new Uint8Array(32)]);
});

test("a streamed message is the same message, sealed chunk by chunk as it is read; its end is reported once", async () => {
  const { a, b } = pair();
  const pieces = [payloadOf(10, 1), new Uint8Array(0), payloadOf(CHUNK_PLAINTEXT_BYTES + 7, 2), payloadOf(100_000, 3), payloadOf(1, 4)];
  let ended = 0;
  const { length, stream } = a.sealStream(pieces, () => ended++);
  const parts: Uint8Array[] = [];
  for await (const part of stream) {
    parts.push(part);
    assert.ok(part.length <= CHUNK_SEALED, "one chunk at a time");
  }
  const message = Buffer.concat(parts);
  assert.equal(message.length, length, "the length announced up front");
  assert.deepEqual(new Uint8Array(b.open(message)!), new Uint8Array(Buffer.concat(pieces)));
  assert.equal(ended, 1);

  let cancelled = 0;
  const abandoned = a.sealStream(pieces, () => cancelled++);
  const reader = abandoned.stream.getReader();
  await reader.read();
  await reader.cancel();
  assert.equal(cancelled, 1, "a reader that goes away ends it too");
  assert.deepEqual(b.open(a.seal(pieces)), new Uint8Array(Buffer.concat(pieces)), "the next message after it opens");
});
