// The TCP relay's frames: every encoder round-trips through the streaming decoder whatever the
// chunking, and every malformed frame is a framing error — never a throw, never a wait for a
// body that cannot be valid.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  CLIENT_TO_SERVER,
  createFrameDecoder,
  encodeClientAuth,
  encodeError,
  encodeKeepAlive,
  encodePeerGone,
  encodeReady,
  encodeRecv,
  encodeSend,
  encodeServerHello,
  FrameType,
  MAX_ERROR_REASON_BYTES,
  MAX_FRAME_BODY_BYTES,
  MAX_RELAYED_PACKET_BYTES,
  SERVER_TO_CLIENT,
  type FramingError,
  type RelayFrame,
} from "../../src/nat/relay-protocol.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

const key = (fill: number): Uint8Array => new Uint8Array(32).fill(fill);
const everything = (): boolean => true;

function decodeAll(chunks: readonly Uint8Array[], expects: (type: number) => boolean = everything): { frames: RelayFrame[]; error: FramingError | null } {
  const decoder = createFrameDecoder(expects);
  const frames: RelayFrame[] = [];
  let error: FramingError | null = null;
  for (const chunk of chunks) {
    error = decoder.push(chunk, (frame) => {
      frames.push(frame);
      return true;
    });
  }
  return { frames, error };
}

// Frames as plain data (views become arrays) for deepEqual.
const plain = (frames: readonly RelayFrame[]): unknown[] =>
  frames.map((frame) => Object.fromEntries(Object.entries(frame).map(([name, value]) => [name, value instanceof Uint8Array ? Array.from(value) : value])));

const header = (type: number, length: number): Uint8Array => Uint8Array.of(type, length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff);
const withBody = (type: number, length: number): Uint8Array => {
  const bytes = new Uint8Array(5 + length);
  bytes.set(header(type, length));
  return bytes;
};

const samples: readonly [Uint8Array, RelayFrame][] = [
  [encodeServerHello(key(1), key(2)), { type: "serverHello", serverKey: key(1), challenge: key(2) }],
  [encodeClientAuth(key(3), new Uint8Array(16).fill(4)), { type: "clientAuth", nodeKey: key(3), proof: new Uint8Array(16).fill(4) }],
  [encodeReady(), { type: "ready" }],
  [encodeSend(key(5), Uint8Array.of(1, 2, 3)), { type: "send", key: key(5), packet: Uint8Array.of(1, 2, 3) }],
  [encodeRecv(key(6), new Uint8Array(1420).fill(7)), { type: "recv", key: key(6), packet: new Uint8Array(1420).fill(7) }],
  [encodePeerGone(key(8)), { type: "peerGone", key: key(8) }],
  [encodeKeepAlive(), { type: "keepAlive" }],
  [encodeError("not allowed"), { type: "error", reason: "not allowed" }],
];

test("every frame type round-trips, with the header the README gives", () => {
  for (const [bytes, frame] of samples) {
    assert.deepEqual(plain(decodeAll([bytes]).frames), plain([frame]), frame.type);
    const length = (bytes[1]! << 24) | (bytes[2]! << 16) | (bytes[3]! << 8) | bytes[4]!;
    assert.equal(length, bytes.length - 5, `${frame.type}: u32 BE length of the body`);
    assert.equal(bytes[0], FrameType[frame.type]);
  }
  assert.deepEqual(Array.from(encodeReady()), [0x03, 0, 0, 0, 0]);
  assert.deepEqual(Array.from(encodeSend(key(9), Uint8Array.of(0xaa)).subarray(0, 6)), [0x04, 0, 0, 0, 33, 9]);
});

test("a stream decodes the same however TCP cuts it: every split point, and byte by byte", () => {
  const stream = Buffer.concat(samples.map(([bytes]) => bytes));
  const expected = plain(samples.map(([, frame]) => frame));
  for (let cut = 0; cut <= stream.length; cut += cut < 200 ? 1 : 37) {
    const { frames, error } = decodeAll([stream.subarray(0, cut), stream.subarray(cut)]);
    assert.equal(error, null);
    assert.deepEqual(plain(frames), expected, `cut at ${cut}`);
  }
  const bytes = Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1));
  assert.deepEqual(plain(decodeAll(bytes).frames), expected, "byte by byte");
});

test("the largest body passes; one more byte is a framing error at the header", () => {
  const packet = new Uint8Array(MAX_RELAYED_PACKET_BYTES).fill(0x5a);
  const { frames, error } = decodeAll([encodeSend(key(1), packet)]);
  assert.equal(error, null);
  assert.equal(frames.length, 1);
  assert.throws(() => encodeSend(key(1), new Uint8Array(MAX_RELAYED_PACKET_BYTES + 1)), RangeError);
  const decoder = createFrameDecoder(everything);
  assert.equal(decoder.push(header(FrameType.send, MAX_FRAME_BODY_BYTES + 1), () => true), "bad_length");
  assert.equal(decoder.buffered, 0, "nothing buffered for a body that cannot be valid");
});

test("every malformed frame is a framing error, never a throw", () => {
  const cases: [string, Uint8Array[], FramingError][] = [
    ["type 0", [withBody(0x00, 0)], "unknown_type"],
    ["type 9", [withBody(0x09, 0)], "unknown_type"],
    ["type 0xff", [withBody(0xff, 4)], "unknown_type"],
    ["an HTTP request instead of frames", [new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n")], "unknown_type"],
    ["an unknown type known from its first byte alone", [Uint8Array.of(0x47)], "unknown_type"],
    ["serverHello of 63", [withBody(FrameType.serverHello, 63)], "bad_length"],
    ["serverHello of 65", [withBody(FrameType.serverHello, 65)], "bad_length"],
    ["clientAuth of 47", [withBody(FrameType.clientAuth, 47)], "bad_length"],
    ["clientAuth of 49", [withBody(FrameType.clientAuth, 49)], "bad_length"],
    ["ready with a body", [withBody(FrameType.ready, 1)], "bad_length"],
    ["send with a key and no packet", [withBody(FrameType.send, 32)], "bad_length"],
    ["send shorter than a key", [withBody(FrameType.send, 5)], "bad_length"],
    ["send of 4 GiB", [header(FrameType.send, 0xffffffff)], "bad_length"],
    ["recv with no packet", [withBody(FrameType.recv, 32)], "bad_length"],
    ["recv over 64 KiB", [header(FrameType.recv, 65_536)], "bad_length"],
    ["peerGone of 31", [withBody(FrameType.peerGone, 31)], "bad_length"],
    ["peerGone of 33", [withBody(FrameType.peerGone, 33)], "bad_length"],
    ["keepAlive with a body", [withBody(FrameType.keepAlive, 2)], "bad_length"],
    ["error longer than 1,024", [header(FrameType.error, MAX_ERROR_REASON_BYTES + 1)], "bad_length"],
    ["a bad header split over three chunks", [Uint8Array.of(FrameType.ready, 0), Uint8Array.of(0, 0), Uint8Array.of(1)], "bad_length"],
    ["a good frame, then a bad one", [Buffer.concat([encodeKeepAlive(), withBody(0x0a, 0)])], "unknown_type"],
  ];
  for (const [what, chunks, expected] of cases) assert.equal(decodeAll(chunks).error, expected, what);
});

test("each side refuses the other side's frames, from their first byte", () => {
  const server = (type: number): boolean => CLIENT_TO_SERVER.has(type);
  const client = (type: number): boolean => SERVER_TO_CLIENT.has(type);
  for (const [bytes, frame] of samples) {
    const toServer = CLIENT_TO_SERVER.has(FrameType[frame.type]);
    assert.equal(decodeAll([bytes], server).error, toServer ? null : "unexpected_type", `server reads ${frame.type}`);
    assert.equal(decodeAll([bytes.subarray(0, 1)], server).error, toServer ? null : "unexpected_type", `server, first byte of ${frame.type}`);
    const toClient = SERVER_TO_CLIENT.has(FrameType[frame.type]);
    assert.equal(decodeAll([bytes], client).error, toClient ? null : "unexpected_type", `client reads ${frame.type}`);
  }
  assert.equal(FrameType.keepAlive, 0x07);
  assert.ok(CLIENT_TO_SERVER.has(FrameType.keepAlive) && SERVER_TO_CLIENT.has(FrameType.keepAlive), "keepAlive goes both ways");
});

test("a framing error sticks, and stopping ends the input", () => {
  const decoder = createFrameDecoder(everything);
  assert.equal(decoder.push(withBody(0x0b, 0), () => true), "unknown_type");
  let seen = 0;
  assert.equal(decoder.push(encodeKeepAlive(), () => ++seen > 0), "unknown_type", "out of step for good");
  assert.equal(seen, 0);

  const stopping = createFrameDecoder(everything);
  const frames: string[] = [];
  const error = stopping.push(Buffer.concat([encodeKeepAlive(), encodeReady(), encodeKeepAlive()]), (frame) => {
    frames.push(frame.type);
    return frame.type !== "ready";
  });
  assert.equal(error, null);
  assert.deepEqual(frames, ["keepAlive", "ready"]);
  assert.equal(stopping.push(encodeKeepAlive(), () => assert.fail("no frames after a stop")), null);
});

test("the state a frame leaves applies to the next frame of the same chunk", () => {
  let authenticated = false;
  const decoder = createFrameDecoder((type) => (authenticated ? type !== FrameType.clientAuth && CLIENT_TO_SERVER.has(type) : type === FrameType.clientAuth));
  const seen: string[] = [];
  const error = decoder.push(Buffer.concat([encodeClientAuth(key(1), new Uint8Array(16)), encodeSend(key(2), Uint8Array.of(1)), encodeClientAuth(key(1), new Uint8Array(16))]), (frame) => {
    seen.push(frame.type);
    if (frame.type === "clientAuth") authenticated = true;
    return true;
  });
  assert.deepEqual(seen, ["clientAuth", "send"]);
  assert.equal(error, "unexpected_type", "a second clientAuth after authentication");
});

test("before authentication, a peer makes the decoder hold at most one clientAuth's bytes", () => {
  const decoder = createFrameDecoder((type) => type === FrameType.clientAuth);
  assert.equal(decoder.push(header(FrameType.send, 65_535), () => true), "unexpected_type");
  const waiting = createFrameDecoder((type) => type === FrameType.clientAuth);
  assert.equal(waiting.push(encodeClientAuth(key(1), new Uint8Array(16)).subarray(0, 52), () => true), null);
  assert.equal(waiting.buffered, 47, "the body so far (the header is parsed)");
});

test("hostile input never throws (5,000 seeded random streams)", () => {
  const random = createSeededRandom(2026);
  for (let run = 0; run < 5000; run++) {
    const decoder = createFrameDecoder((type) => random.below(4) > 0 || type === FrameType.send);
    const chunks = random.below(4) + 1;
    for (let i = 0; i < chunks; i++) {
      // Mostly plausible headers (a known type, small lengths), sometimes pure noise.
      const bytes = random.bytes(random.below(80));
      if (bytes.length >= 5 && random.below(2) === 0) {
        bytes[0] = 1 + random.below(8);
        bytes[1] = 0;
        bytes[2] = 0;
        bytes[3] = 0;
        bytes[4] = random.below(80);
      }
      decoder.push(bytes, () => random.below(10) > 0);
    }
  }
});

test("encoders refuse a caller's mistakes; an error reason is cut at a character boundary", () => {
  assert.throws(() => encodeServerHello(new Uint8Array(31), key(1)), RangeError);
  assert.throws(() => encodeClientAuth(key(1), new Uint8Array(15)), RangeError);
  assert.throws(() => encodeSend(key(1), new Uint8Array(0)), RangeError);
  assert.throws(() => encodeRecv(new Uint8Array(33), Uint8Array.of(1)), RangeError);
  assert.throws(() => encodePeerGone(new Uint8Array(0)), RangeError);
  const long = encodeError("é".repeat(600)); // 1,200 bytes of two-byte characters
  assert.equal(long.length - 5, 1024);
  const { frames } = decodeAll([long]);
  assert.equal(frames[0]?.type === "error" ? frames[0].reason : "", "é".repeat(512));
  const odd = encodeError(`x${"é".repeat(600)}`);
  assert.equal(odd.length - 5, 1023, "no half character");
});
