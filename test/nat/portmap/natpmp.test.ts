// NAT-PMP (RFC 6886): the request layouts of §3.2–3.4, miniupnpd's real answers, the error
// answers, near misses (null, never a throw) and the §3.6 epoch rule at its boundary.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decodeNatPmpResponse,
  encodeNatPmpDeleteRequest,
  encodeNatPmpExternalAddressRequest,
  encodeNatPmpMapRequest,
  natPmpEpochLost,
  natPmpResultName,
} from "../../../src/nat/portmap/natpmp.js";
import { createSeededRandom } from "../../fakes/seeded-random.js";
import { NATPMP_ADDRESS_ANSWER, NATPMP_MAP_ANSWER } from "./miniupnpd-answers.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const bytes = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ""), "hex"));

test("requests have RFC 6886's layouts", () => {
  assert.equal(hex(encodeNatPmpExternalAddressRequest()), "0000", "§3.2: version 0, opcode 0");
  // §3.3: version, opcode 1 (UDP), reserved, internal port 41641, suggested 41641, 7200 s.
  assert.equal(hex(encodeNatPmpMapRequest(41641, 41641, 7200)), "0001" + "0000" + "a2a9" + "a2a9" + "00001c20");
  assert.equal(hex(encodeNatPmpMapRequest(51820, 0, 0xffffffff)), "0001" + "0000" + "ca6c" + "0000" + "ffffffff");
  // §3.4: delete = lifetime 0 and suggested external port 0.
  assert.equal(hex(encodeNatPmpDeleteRequest(41641)), "0001" + "0000" + "a2a9" + "0000" + "00000000");
});

test("miniupnpd's answers decode", () => {
  assert.deepEqual(decodeNatPmpResponse(NATPMP_ADDRESS_ANSWER), { kind: "externalAddress", epochSeconds: 1, address: "11.0.0.11" });
  assert.deepEqual(decodeNatPmpResponse(NATPMP_MAP_ANSWER), {
    kind: "mapping",
    protocol: "udp",
    epochSeconds: 1,
    internalPort: 41641,
    externalPort: 41641,
    lifetimeSeconds: 7200,
  });
  assert.deepEqual(decodeNatPmpResponse(bytes("0082 0000 00000100 1f90 c350 00000e10")), {
    kind: "mapping",
    protocol: "tcp",
    epochSeconds: 256,
    internalPort: 8080,
    externalPort: 50000,
    lifetimeSeconds: 3600,
  });
});

test("error answers carry the result code, even 8 bytes long", () => {
  // miniupnpd's answer to a version it does not speak: the 8 common bytes only (§3.5).
  assert.deepEqual(decodeNatPmpResponse(bytes("0081 0001 00000005")), { kind: "failure", requestOpcode: 1, resultCode: 1, epochSeconds: 5 });
  assert.deepEqual(decodeNatPmpResponse(bytes("0081 0002 00000005 a2a9 0000 00000000")), { kind: "failure", requestOpcode: 1, resultCode: 2, epochSeconds: 5 });
  assert.deepEqual(decodeNatPmpResponse(bytes("0080 0003 00000005 00000000")), { kind: "failure", requestOpcode: 0, resultCode: 3, epochSeconds: 5 });
  assert.equal(natPmpResultName(2), "not authorized or refused");
  assert.equal(natPmpResultName(4), "out of resources");
  assert.equal(natPmpResultName(99), "result code 99");
});

test("near misses are null, never thrown", () => {
  const cases: [string, string][] = [
    ["empty", ""],
    ["shorter than the common header", "0080 0000 000000"],
    ["version 1", "0180 0000 00000001 0b00000b"],
    ["a PCP answer", "0280 0000 00000000 00000001 000000000000000000000000"],
    ["a request (another client's), not an answer", "0001 0000 a2a9 a2a9 00001c20"],
    ["an address answer cut short", "0080 0000 00000001 0b0000"],
    ["a map answer cut short", "0081 0000 00000001 a2a9 a2a9 00001c"],
    ["an opcode NAT-PMP does not have", "0083 0000 00000001 a2a9 a2a9 00001c20"],
  ];
  for (const [what, text] of cases) assert.equal(decodeNatPmpResponse(bytes(text)), null, what);
});

test("a datagram inside a larger buffer decodes in place", () => {
  const arena = new Uint8Array(64);
  arena.set(NATPMP_MAP_ANSWER, 8);
  assert.equal(decodeNatPmpResponse(arena.subarray(8, 8 + NATPMP_MAP_ANSWER.length))?.kind, "mapping");
});

test("20,000 random datagrams: the decoder never throws", () => {
  const random = createSeededRandom(6886);
  for (let i = 0; i < 20_000; i++) {
    const datagram = random.bytes(random.below(40));
    if (i % 2 === 0 && datagram.length > 1) datagram[0] = 0; // half of them look like NAT-PMP
    decodeNatPmpResponse(datagram);
  }
});

test("§3.6: the epoch is lost when it falls more than 2 s below 7/8 of the elapsed time", () => {
  const previous = { epochSeconds: 1000, atMs: 0 };
  const tenMinutes = 600_000;
  // 7/8 of 600 s is 525 s: the estimate is 1525 s; lost below 1523.
  assert.equal(natPmpEpochLost(previous, { epochSeconds: 1600, atMs: tenMinutes }), false, "on time");
  assert.equal(natPmpEpochLost(previous, { epochSeconds: 1523, atMs: tenMinutes }), false, "a slow clock, at the edge");
  assert.equal(natPmpEpochLost(previous, { epochSeconds: 1522, atMs: tenMinutes }), true, "just past the edge");
  assert.equal(natPmpEpochLost(previous, { epochSeconds: 3, atMs: tenMinutes }), true, "the gateway rebooted");
  assert.equal(natPmpEpochLost(previous, { epochSeconds: 999, atMs: 0 }), false, "no time passed, 1 s back: reordering");
  assert.equal(natPmpEpochLost(previous, { epochSeconds: 1000, atMs: -5000 }), false, "a clock that went back counts as no time");
});
