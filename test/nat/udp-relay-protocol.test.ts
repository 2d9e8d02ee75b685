// The UDP peer relay's datagrams: the layouts of the README, every malformed datagram refused
// (null, never a throw), and the in-place turn of a send into a recv.

import assert from "node:assert/strict";
import { test } from "node:test";
import { classifyDatagram } from "../../src/nat/demux.js";
import {
  encodeBind,
  encodeBindConfirm,
  encodeBound,
  encodeChallenge,
  encodeUdpRecv,
  encodeUdpSend,
  parseUdpRelayFrame,
  rewriteSendAsRecv,
  UDP_MAX_DATAGRAM_BYTES,
  UDP_MAX_RELAYED_PACKET_BYTES,
  type UdpRelayFrame,
} from "../../src/nat/udp-relay-protocol.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

const key = (fill: number): Uint8Array => new Uint8Array(32).fill(fill);
const mac = (fill: number): Uint8Array => new Uint8Array(16).fill(fill);
const MAGIC = [0x6d, 0x67, 0x9e, 0x1a];

const plain = (frame: UdpRelayFrame | null): unknown =>
  frame === null ? null : Object.fromEntries(Object.entries(frame).map(([name, value]) => [name, value instanceof Uint8Array ? Array.from(value) : value]));

test("each frame has the README's layout and parses back", () => {
  const cases: [Uint8Array, UdpRelayFrame, number][] = [
    [encodeBind(key(1)), { type: "bind", key: key(1) }, 37],
    [encodeChallenge(mac(2)), { type: "challenge", cookie: mac(2) }, 21],
    [encodeBindConfirm(key(3), mac(4), mac(5)), { type: "bindConfirm", key: key(3), cookie: mac(4), proof: mac(5) }, 69],
    [encodeBound(30), { type: "bound", lifetimeSeconds: 30 }, 7],
    [encodeUdpSend(key(6), Uint8Array.of(9, 9)), { type: "send", key: key(6), packet: Uint8Array.of(9, 9) }, 39],
    [encodeUdpRecv(key(7), Uint8Array.of(8)), { type: "recv", key: key(7), packet: Uint8Array.of(8) }, 38],
  ];
  cases.forEach(([bytes, frame, length], index) => {
    assert.equal(bytes.length, length, frame.type);
    assert.deepEqual(Array.from(bytes.subarray(0, 5)), [...MAGIC, index + 1], `${frame.type}: magic, then type 0x0${index + 1}`);
    assert.deepEqual(plain(parseUdpRelayFrame(bytes)), plain(frame));
    assert.equal(classifyDatagram(bytes), "relay", "the node's demux hands it to the relay client");
  });
  assert.deepEqual(Array.from(encodeBound(0x1234).subarray(5)), [0x12, 0x34], "lifetime u16 BE");
});

test("every malformed datagram is null", () => {
  const good = [encodeBind(key(1)), encodeChallenge(mac(1)), encodeBindConfirm(key(1), mac(1), mac(1)), encodeBound(30)];
  const cases: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["the magic alone", Uint8Array.from(MAGIC)],
    ["disco's magic", Uint8Array.of(0x6d, 0x67, 0xd1, 0x5c, 1, ...key(1))],
    ["a wrong magic byte", Uint8Array.of(0x6d, 0x67, 0x9e, 0x1b, 1, ...key(1))],
    ["type 0", Uint8Array.of(...MAGIC, 0, ...key(1))],
    ["type 7", Uint8Array.of(...MAGIC, 7, ...key(1))],
    ["type 0xff", Uint8Array.of(...MAGIC, 0xff, ...key(1))],
    ["send with a key and no packet", Uint8Array.of(...MAGIC, 5, ...key(1))],
    ["recv shorter than a key", Uint8Array.of(...MAGIC, 6, 1, 2, 3)],
    ["larger than any UDP datagram", Uint8Array.of(...MAGIC, 5, ...new Uint8Array(UDP_MAX_DATAGRAM_BYTES))],
  ];
  for (const bytes of good) {
    cases.push([`type ${bytes[4]} one byte short`, bytes.subarray(0, bytes.length - 1)]);
    cases.push([`type ${bytes[4]} one byte long`, Uint8Array.of(...bytes, 0)]);
  }
  for (const [what, bytes] of cases) assert.equal(parseUdpRelayFrame(bytes), null, what);
  const largest = encodeUdpSend(key(1), new Uint8Array(UDP_MAX_RELAYED_PACKET_BYTES));
  assert.equal(largest.length, UDP_MAX_DATAGRAM_BYTES);
  assert.notEqual(parseUdpRelayFrame(largest), null, "the largest datagram is fine");
});

test("hostile datagrams never throw (20,000 seeded)", () => {
  const random = createSeededRandom(9);
  for (let i = 0; i < 20_000; i++) {
    const bytes = random.bytes(random.below(90));
    if (bytes.length >= 5 && random.below(2) === 0) {
      bytes.set(MAGIC);
      bytes[4] = random.below(9);
    }
    parseUdpRelayFrame(bytes);
  }
});

test("a send becomes the recv for its destination in place: same buffer, same packet, source key", () => {
  const datagram = encodeUdpSend(key(1), Uint8Array.of(1, 2, 3));
  const recv = rewriteSendAsRecv(datagram, key(2));
  assert.equal(recv, datagram);
  assert.deepEqual(plain(parseUdpRelayFrame(recv)), plain({ type: "recv", key: key(2), packet: Uint8Array.of(1, 2, 3) }));
  assert.deepEqual(recv, encodeUdpRecv(key(2), Uint8Array.of(1, 2, 3)));
});

test("encoders refuse a caller's mistakes", () => {
  assert.throws(() => encodeBind(new Uint8Array(31)), RangeError);
  assert.throws(() => encodeChallenge(new Uint8Array(17)), RangeError);
  assert.throws(() => encodeBindConfirm(key(1), mac(1), new Uint8Array(0)), RangeError);
  assert.throws(() => encodeBound(65_536), RangeError);
  assert.throws(() => encodeUdpSend(key(1), new Uint8Array(0)), RangeError);
  assert.throws(() => encodeUdpRecv(key(1), new Uint8Array(UDP_MAX_RELAYED_PACKET_BYTES + 1)), RangeError);
});
