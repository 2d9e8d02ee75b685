// PCP (RFC 6887): ANNOUNCE and MAP requests in §7.1/§11.1 layout, miniupnpd's real answers,
// matching answers to requests by nonce (§11.3), the NAT-PMP gateway's "unsupported version",
// near misses (null, never a throw) and the §8.5 epoch rule.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  decodePcpResponse,
  encodePcpAnnounceRequest,
  encodePcpMapRequest,
  mappedAddress,
  pcpAnswersMap,
  pcpEpochLost,
  pcpResultName,
  unmappedAddress,
  type PcpMapRequest,
} from "../../../src/nat/portmap/pcp.js";
import { createSeededRandom } from "../../fakes/seeded-random.js";
import { PCP_ADDRESS_MISMATCH_ANSWER, PCP_ANNOUNCE_ANSWER, PCP_MAP_ANSWER, PCP_NONCE } from "./miniupnpd-answers.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");
const bytes = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ""), "hex"));

const MAP: PcpMapRequest = {
  clientAddress: "192.168.1.2",
  nonce: PCP_NONCE,
  internalPort: 41641,
  suggestedExternalPort: 41641,
  suggestedExternalAddress: null,
  lifetimeSeconds: 7200,
};

test("ANNOUNCE: the 24-byte header, lifetime 0, our address IPv4-mapped", () => {
  assert.equal(hex(encodePcpAnnounceRequest("192.168.1.2")), "02" + "00" + "0000" + "00000000" + "00000000000000000000ffffc0a80102");
});

test("MAP: header, nonce, UDP, ports, and ::ffff:0.0.0.0 for no preferred address", () => {
  assert.equal(
    hex(encodePcpMapRequest(MAP)),
    "02" + "01" + "0000" + "00001c20" + "00000000000000000000ffffc0a80102" + // header (§7.1)
      "0102030405060708090a0b0c" + "11" + "000000" + "a2a9" + "a2a9" + "00000000000000000000ffff00000000", // MAP (§11.1)
  );
  const renewal = encodePcpMapRequest({ ...MAP, suggestedExternalPort: 50000, suggestedExternalAddress: "11.0.0.11" });
  assert.equal(hex(renewal.subarray(42, 60)), "c350" + "00000000000000000000ffff0b00000b");
  assert.throws(() => encodePcpMapRequest({ ...MAP, nonce: new Uint8Array(11) }), /nonce is 12 bytes/);
  assert.throws(() => encodePcpMapRequest({ ...MAP, clientAddress: "fe80::1" }), /not an IPv4 address/);
});

test("miniupnpd's answers decode and match the request they answer", () => {
  assert.deepEqual(decodePcpResponse(PCP_ANNOUNCE_ANSWER), { kind: "announce", resultCode: 0, epochSeconds: 1 });
  const answer = decodePcpResponse(PCP_MAP_ANSWER);
  assert.deepEqual(answer, {
    kind: "map",
    resultCode: 0,
    lifetimeSeconds: 7200,
    epochSeconds: 1,
    nonce: PCP_NONCE,
    protocol: 17,
    internalPort: 41641,
    externalPort: 41641,
    externalAddress: "11.0.0.11",
  });
  assert.ok(pcpAnswersMap(answer!, MAP));
  assert.equal(pcpAnswersMap(answer!, { ...MAP, nonce: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13) }), false, "another nonce");
  assert.equal(pcpAnswersMap(answer!, { ...MAP, internalPort: 41642 }), false, "another internal port");
  assert.equal(pcpAnswersMap(decodePcpResponse(PCP_ANNOUNCE_ANSWER)!, MAP), false, "not a MAP answer");
  const tcp = Uint8Array.from(PCP_MAP_ANSWER);
  tcp[36] = 6;
  assert.equal(pcpAnswersMap(decodePcpResponse(tcp)!, MAP), false, "TCP");
});

test("an error answer keeps its result code (miniupnpd's ADDRESS_MISMATCH)", () => {
  const answer = decodePcpResponse(PCP_ADDRESS_MISMATCH_ANSWER);
  assert.equal(answer?.kind === "map" ? answer.resultCode : null, 12);
  assert.equal(pcpResultName(12), "address mismatch (a NAT between this host and the gateway)");
  assert.equal(pcpResultName(2), "not authorized");
  assert.equal(pcpResultName(200), "result code 200");
});

test("a NAT-PMP gateway's answer to PCP is 'unsupported version 0'", () => {
  // RFC 6886 §3.5 and RFC 6887 §9: version 0, opcode 128 + 1, result 1, epoch — 8 bytes.
  assert.deepEqual(decodePcpResponse(bytes("00 81 0001 00000020")), { kind: "unsupportedVersion", version: 0 });
  assert.deepEqual(decodePcpResponse(bytes("01 81 0001 00000000 00000020 000000000000000000000000")), { kind: "unsupportedVersion", version: 1 });
});

test("near misses are null, never thrown", () => {
  const header = "02 80 0000 00000000 00000001 000000000000000000000000";
  const cases: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["seven bytes", bytes("02800000000000")],
    ["a header cut short", bytes(header).subarray(0, 23)],
    ["a request, not an answer (R bit clear)", encodePcpAnnounceRequest("192.168.1.2")],
    ["a MAP answer cut short", PCP_MAP_ANSWER.subarray(0, 59)],
    ["PEER (opcode 2), which we never ask", bytes("02 82 0000 00000000 00000001 000000000000000000000000")],
    ["another version, not saying 'unsupported'", bytes("00 80 0000 00000001 0b00000b")],
    ["over 1100 bytes", new Uint8Array(1104).fill(0x82)],
  ];
  for (const [what, datagram] of cases) assert.equal(decodePcpResponse(datagram), null, what);
});

test("20,000 random datagrams: the decoder never throws", () => {
  const random = createSeededRandom(6887);
  for (let i = 0; i < 20_000; i++) {
    const datagram = random.bytes(random.below(80));
    if (i % 2 === 0 && datagram.length > 1) {
      datagram[0] = 2; // half of them look like PCP answers
      datagram[1]! |= 0x80;
    }
    decodePcpResponse(datagram);
  }
});

test("§5: IPv4 travels as an IPv4-mapped IPv6 address", () => {
  assert.equal(hex(mappedAddress("11.0.0.11")), "00000000000000000000ffff0b00000b");
  assert.equal(unmappedAddress(mappedAddress("203.0.113.7")), "203.0.113.7");
  assert.equal(unmappedAddress(bytes("20010db8000000000000000000000001")), "2001:db8::1");
  assert.equal(unmappedAddress(new Uint8Array(16)), "::");
});

test("§8.5: the epoch is lost when it goes back over 1 s, or the clocks drift apart over 1/16 + 2 s", () => {
  const previous = { epochSeconds: 1000, atMs: 0 };
  assert.equal(pcpEpochLost(previous, { epochSeconds: 999, atMs: 0 }), false, "1 s back: reordering");
  assert.equal(pcpEpochLost(previous, { epochSeconds: 998, atMs: 0 }), true, "2 s back");
  assert.equal(pcpEpochLost(previous, { epochSeconds: 1600, atMs: 600_000 }), false, "in step");
  // 600 s on our clock: the server may show down to 600 - 600/16 - 2 = 560.5 s.
  assert.equal(pcpEpochLost(previous, { epochSeconds: 1561, atMs: 600_000 }), false, "a slow server clock, within bounds");
  assert.equal(pcpEpochLost(previous, { epochSeconds: 1560, atMs: 600_000 }), true, "a server that lost time (rebooted)");
  // 640 s on the server's clock: ours may show down to 640 - 40 - 2 = 598 s.
  assert.equal(pcpEpochLost(previous, { epochSeconds: 1640, atMs: 598_000 }), false, "a fast server clock, at the edge");
  assert.equal(pcpEpochLost(previous, { epochSeconds: 1640, atMs: 597_000 }), true, "a server clock running ahead too far");
  assert.equal(pcpEpochLost(previous, { epochSeconds: 5, atMs: 600_000 }), true, "the gateway rebooted");
});
