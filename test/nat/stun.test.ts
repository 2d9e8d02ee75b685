// The STUN codec (src/nat/stun.ts): RFC 5769's sample messages decode to their published
// values, our encodings match theirs where they overlap, and hostile bytes give null, never a
// throw.

import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";
import { classifyDatagram } from "../../src/nat/demux.js";
import { crc32, decodeStunMessage, encodeBindingRequest, encodeBindingSuccess, STUN_BINDING_REQUEST, STUN_BINDING_SUCCESS } from "../../src/nat/stun.js";
import { createSeededRandom } from "../fakes/seeded-random.js";
import {
  RFC5769_IPV4_RESPONSE,
  RFC5769_IPV6_RESPONSE,
  RFC5769_MAPPED_IPV4,
  RFC5769_MAPPED_IPV6,
  RFC5769_PASSWORD,
  RFC5769_REQUEST,
  RFC5769_TRANSACTION_ID,
} from "./stun-vectors.js";

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

test("the vectors are as published: their MESSAGE-INTEGRITY verifies with node:crypto (RFC 8489 §14.5)", () => {
  for (const [name, message] of [["§2.1", RFC5769_REQUEST], ["§2.2", RFC5769_IPV4_RESPONSE], ["§2.3", RFC5769_IPV6_RESPONSE]] as const) {
    // MESSAGE-INTEGRITY is followed by the 8-byte FINGERPRINT; its HMAC covers the message up
    // to it, with the length field counting up to the end of MESSAGE-INTEGRITY.
    const integrityAt = message.length - 8 - 24;
    const covered = Uint8Array.from(message.subarray(0, integrityAt));
    covered[3] = covered[3]! - 8;
    const mac = createHmac("sha1", RFC5769_PASSWORD).update(covered).digest();
    assert.equal(hex(mac), hex(message.subarray(integrityAt + 4, integrityAt + 24)), name);
  }
});

test("CRC-32 check value (the one FINGERPRINT uses): crc32('123456789') = cbf43926", () => {
  assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

test("RFC 5769 §2.1: the sample request decodes, FINGERPRINT checked, the other attributes tolerated", () => {
  const message = decodeStunMessage(RFC5769_REQUEST);
  assert.ok(message !== null);
  assert.equal(message.type, STUN_BINDING_REQUEST);
  assert.equal(hex(message.transactionId), hex(RFC5769_TRANSACTION_ID));
  assert.equal(message.software, "STUN test client");
  assert.equal(message.fingerprint, true);
  assert.equal(message.mapped, null);
});

test("RFC 5769 §2.2 and §2.3: the sample responses decode to their mapped IPv4 and IPv6 endpoints", () => {
  for (const [bytes, mapped] of [[RFC5769_IPV4_RESPONSE, RFC5769_MAPPED_IPV4], [RFC5769_IPV6_RESPONSE, RFC5769_MAPPED_IPV6]] as const) {
    const message = decodeStunMessage(bytes);
    assert.ok(message !== null);
    assert.equal(message.type, STUN_BINDING_SUCCESS);
    assert.equal(hex(message.transactionId), hex(RFC5769_TRANSACTION_ID));
    assert.deepEqual(message.mapped, mapped);
    assert.equal(message.software, "test vector");
    assert.equal(message.fingerprint, true);
  }
});

test("our XOR-MAPPED-ADDRESS is byte for byte the vectors' (§2.2: 20..48, §2.3: 20..60 after SOFTWARE)", () => {
  // Our response: header ‖ XOR-MAPPED-ADDRESS ‖ FINGERPRINT. The vectors put SOFTWARE (16 bytes)
  // first, so their XOR-MAPPED-ADDRESS starts at 36.
  const v4 = encodeBindingSuccess(RFC5769_TRANSACTION_ID, RFC5769_MAPPED_IPV4);
  assert.equal(hex(v4.subarray(20, 32)), hex(RFC5769_IPV4_RESPONSE.subarray(36, 48)));
  const v6 = encodeBindingSuccess(RFC5769_TRANSACTION_ID, RFC5769_MAPPED_IPV6);
  assert.equal(hex(v6.subarray(20, 44)), hex(RFC5769_IPV6_RESPONSE.subarray(36, 60)));
  assert.equal(hex(v4.subarray(4, 20)), hex(RFC5769_IPV4_RESPONSE.subarray(4, 20)), "cookie and transaction id");
});

test("encodings: header, length, FINGERPRINT last and valid; demux sees STUN; round trips", () => {
  const id = Uint8Array.from({ length: 12 }, (_, i) => i + 1);
  const request = encodeBindingRequest(id);
  assert.equal(hex(request.subarray(0, 4)), "00010008", "Binding request, 8 bytes of attributes (FINGERPRINT)");
  assert.equal(hex(request.subarray(20, 24)), "80280004");
  assert.equal(classifyDatagram(request), "stun");
  assert.deepEqual(decodeStunMessage(request), { type: STUN_BINDING_REQUEST, transactionId: id, mapped: null, software: null, fingerprint: true });

  const withSoftware = encodeBindingRequest(id, { software: "meshgate" });
  assert.equal(decodeStunMessage(withSoftware)?.software, "meshgate");
  const odd = encodeBindingRequest(id, { software: "abcde" });
  assert.equal(odd.length % 4, 0, "SOFTWARE padded to 4 bytes");
  assert.equal(decodeStunMessage(odd)?.software, "abcde");

  const random = createSeededRandom(5769);
  for (let i = 0; i < 200; i++) {
    const txid = random.bytes(12);
    const port = 1 + random.below(65535);
    const host = i % 2 === 0 ? [0, 0, 0, 0].map(() => random.below(256)).join(".") : `2001:db8::${random.below(65536).toString(16)}:${(1 + random.below(65535)).toString(16)}`;
    const decoded = decodeStunMessage(encodeBindingSuccess(txid, { host, port }));
    assert.deepEqual(decoded?.mapped, { host, port }, `${host} port ${port}`);
    assert.equal(hex(decoded!.transactionId), hex(txid));
  }
});

test("MAPPED-ADDRESS is read when XOR-MAPPED-ADDRESS is absent, and XOR-MAPPED-ADDRESS wins when both are there", () => {
  const header = (length: number): number[] => [0x01, 0x01, 0x00, length, 0x21, 0x12, 0xa4, 0x42, ...RFC5769_TRANSACTION_ID];
  const plain = [0x00, 0x01, 0x00, 0x08, 0x00, 0x01, 0x0d, 0x96, 198, 51, 100, 7]; // 198.51.100.7:3478
  assert.deepEqual(decodeStunMessage(Uint8Array.from([...header(12), ...plain]))?.mapped, { host: "198.51.100.7", port: 3478 });
  const xored = [...RFC5769_IPV4_RESPONSE.subarray(36, 48)];
  assert.deepEqual(decodeStunMessage(Uint8Array.from([...header(24), ...plain, ...xored]))?.mapped, RFC5769_MAPPED_IPV4);
});

test("attributes after MESSAGE-INTEGRITY are ignored (RFC 8489 §14.5), FINGERPRINT aside", () => {
  // §2.2 with MESSAGE-INTEGRITY moved before XOR-MAPPED-ADDRESS: the address no longer counts.
  const v = RFC5769_IPV4_RESPONSE;
  const reordered = Uint8Array.from([...v.subarray(0, 36), ...v.subarray(48, 72), ...v.subarray(36, 48)]);
  reordered[3] = reordered.length - 20; // no FINGERPRINT now
  const message = decodeStunMessage(reordered);
  assert.ok(message !== null);
  assert.equal(message.mapped, null);
  assert.equal(message.fingerprint, false);
});

test("a wrong FINGERPRINT, or one not last, makes the message null", () => {
  for (const vector of [RFC5769_REQUEST, RFC5769_IPV4_RESPONSE, RFC5769_IPV6_RESPONSE]) {
    for (const at of [8, 24, vector.length - 30, vector.length - 1]) {
      const tampered = Uint8Array.from(vector);
      tampered[at] = tampered[at]! ^ 0x01;
      assert.equal(decodeStunMessage(tampered), null, `a bit flipped at ${at}`);
    }
  }
  const id = new Uint8Array(12);
  const request = encodeBindingRequest(id);
  // FINGERPRINT followed by a SOFTWARE attribute (lengths made consistent).
  const notLast = Uint8Array.from([...request, 0x80, 0x22, 0x00, 0x00]);
  notLast[3] = 12;
  assert.equal(decodeStunMessage(notLast), null);
});

test("malformed headers and attributes give null", () => {
  const good = encodeBindingSuccess(RFC5769_TRANSACTION_ID, RFC5769_MAPPED_IPV4);
  const edit = (change: (bytes: Uint8Array) => void, cut = good.length): Uint8Array => {
    const bytes = Uint8Array.from(good.subarray(0, cut));
    change(bytes);
    return bytes;
  };
  const cases: [string, Uint8Array][] = [
    ["empty", new Uint8Array(0)],
    ["19 bytes", good.subarray(0, 19)],
    ["top bits set", edit((b) => (b[0] = 0x41))],
    ["wrong magic cookie", edit((b) => (b[7] = 0x43))],
    ["length not a multiple of 4", edit((b) => (b[3] = b[3]! + 2))],
    ["length past the datagram", edit((b) => (b[3] = b[3]! + 4))],
    ["length short of the datagram", edit((b) => (b[3] = b[3]! - 4))],
    ["attribute length past the message", edit((b) => (b[23] = 0xf0))],
    ["truncated in an attribute", edit((b) => (b[3] = 8), 28)],
  ];
  for (const [what, bytes] of cases) assert.equal(decodeStunMessage(bytes), null, what);
  // A bad family or length in XOR-MAPPED-ADDRESS: the message stands, without an address.
  const badFamily = Uint8Array.from(RFC5769_IPV4_RESPONSE.subarray(0, 48));
  badFamily[3] = 28;
  badFamily[41] = 0x03;
  assert.equal(decodeStunMessage(badFamily)?.mapped, null);
});

test("10,000 random and mutated datagrams: never a throw, and every message found re-encodes", () => {
  const random = createSeededRandom(8489);
  const seeds = [RFC5769_REQUEST, RFC5769_IPV4_RESPONSE, RFC5769_IPV6_RESPONSE, encodeBindingRequest(random.bytes(12))];
  for (let i = 0; i < 10_000; i++) {
    let bytes: Uint8Array;
    if (i % 3 === 0) bytes = random.bytes(random.below(120));
    else {
      bytes = Uint8Array.from(random.pick(seeds));
      for (let flips = 1 + random.below(3); flips > 0; flips--) bytes[random.below(bytes.length)] = random.below(256);
      if (i % 3 === 2) bytes = bytes.subarray(0, random.below(bytes.length + 1));
    }
    const message = decodeStunMessage(bytes);
    if (message?.mapped) assert.ok(encodeBindingSuccess(message.transactionId, message.mapped).length > 20);
  }
});

test("a Buffer's bytes are copied, not aliased (Buffer.slice is a view)", () => {
  const buffer = Buffer.from(RFC5769_IPV4_RESPONSE);
  const message = decodeStunMessage(buffer)!;
  message.transactionId.fill(0);
  assert.equal(hex(buffer), hex(RFC5769_IPV4_RESPONSE), "decoding and changing what it returned left the datagram alone");
});
