// IP address and prefix text: what inet_pton(3) accepts (wg(8) parses AllowedIPs with it),
// RFC 5952 canonical output, and masking of host bits as the kernel stores AllowedIPs.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  formatIpAddress,
  formatIpPrefix,
  ipPrefixEquals,
  parseInterfaceAddress,
  parseIpAddress,
  parseIpPrefix,
  type IpPrefix,
} from "../../src/net/ip-prefix.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

function bytesOf(address: string): number[] {
  const parsed = parseIpAddress(address);
  assert.ok(parsed !== null, `${address} should parse`);
  return [...parsed.bytes];
}

function prefix(text: string): IpPrefix {
  const parsed = parseIpPrefix(text);
  assert.ok(parsed !== null, `${text} should parse`);
  return parsed;
}

describe("parseIpAddress / formatIpAddress: IPv4", () => {
  const valid: [string, number[]][] = [
    ["0.0.0.0", [0, 0, 0, 0]],
    ["1.2.3.4", [1, 2, 3, 4]],
    ["10.0.0.1", [10, 0, 0, 1]],
    ["192.95.5.67", [192, 95, 5, 67]],
    ["255.255.255.255", [255, 255, 255, 255]],
  ];
  for (const [text, bytes] of valid) {
    test(`accepts ${text}`, () => {
      const parsed = parseIpAddress(text);
      assert.deepEqual(parsed, { family: 4, bytes: new Uint8Array(bytes) });
      assert.equal(formatIpAddress(parsed), text);
    });
  }

  const invalid = [
    "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "01.2.3.4", "1.2.3.04", "1.2.3.00", "1..2.3",
    "1.2.3.4.", ".1.2.3", "", " 1.2.3.4", "1.2.3.4 ", "a.b.c.d", "1.2.3.-4", "+1.2.3.4",
    "0x1.2.3.4", "1.2.3.4/32", "1234.1.1.1", "1.2.3.4%eth0",
  ];
  for (const text of invalid) {
    test(`rejects ${JSON.stringify(text)}`, () => assert.equal(parseIpAddress(text), null));
  }
});

describe("parseIpAddress / formatIpAddress: IPv6 (RFC 4291 text, RFC 5952 output)", () => {
  const valid: [text: string, canonical: string][] = [
    ["::", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
    ["2001:DB8::1", "2001:db8::1"], // RFC 5952 4.3: lowercase
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"], // 4.1: no leading zeros
    ["2001:db8::0:1", "2001:db8::1"],
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // 4.2.2: one zero group stays
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"], // 4.2.3: the longest run
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // 4.2.3: the first of equal runs
    ["1:2:3:4:5:6::", "1:2:3:4:5:6::"],
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"],
    ["::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"],
    ["fe80::1", "fe80::1"],
    ["2607:5300:60:6b0::c05f:543", "2607:5300:60:6b0::c05f:543"],
    ["::ffff:1.2.3.4", "::ffff:1.2.3.4"], // RFC 5952 5: IPv4-mapped keeps the dotted tail
    ["::FFFF:192.168.1.1", "::ffff:192.168.1.1"],
    ["::ffff:c0a8:101", "::ffff:192.168.1.1"],
    ["::1.2.3.4", "::102:304"], // deprecated IPv4-compatible form: printed in hex
    ["1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"],
    ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
  ];
  for (const [text, canonical] of valid) {
    test(`${text} → ${canonical}`, () => {
      const parsed = parseIpAddress(text);
      assert.ok(parsed !== null);
      assert.equal(parsed.family, 6);
      assert.equal(parsed.bytes.length, 16);
      assert.equal(formatIpAddress(parsed), canonical);
      assert.deepEqual(bytesOf(canonical), [...parsed.bytes], "canonical text parses to the same bytes");
    });
  }

  test("bytes are in network order", () => {
    assert.deepEqual(bytesOf("2001:db8::ff00:42"), [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0, 0, 0x42]);
    assert.deepEqual(bytesOf("::ffff:1.2.3.4"), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]);
    assert.deepEqual(bytesOf("::"), Array<number>(16).fill(0));
  });

  const invalid = [
    ":::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "1:2:3:4::5:6:7:8", "1::2::3", ":1::", "1::2:",
    ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:", "12345::", "g::", "::g", "fe80::1%eth0", "[::1]",
    "::1.2.3", "::256.1.1.1", "::ffff:01.2.3.4", "1.2.3.4::", "::1.2.3.4:5", "1:2:3:4:5:6:7:1.2.3.4",
    " ::1", "::1 ", "::1/128", "1:2:3:4:5:6:7:8::", "::-1", ":", "1:", "",
  ];
  for (const text of invalid) {
    test(`rejects ${JSON.stringify(text)}`, () => assert.equal(parseIpAddress(text), null));
  }

  test("formatting agrees with the WHATWG URL serializer on 2,000 addresses with zero runs", () => {
    // The URL standard serializes IPv6 hosts with the same compression rule as RFC 5952 4.2
    // (it differs only for IPv4-mapped addresses, which are kept out of this sample).
    const random = createSeededRandom(0x1b6);
    for (let round = 0; round < 2000; round++) {
      const bytes = random.bytes(16);
      for (let group = 0; group < 8; group++) {
        if (random.below(2) === 0) bytes.fill(0, group * 2, group * 2 + 2);
      }
      if (bytes.subarray(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff) continue;
      const text = formatIpAddress({ family: 6, bytes });
      assert.equal(`[${text}]`, new URL(`http://[${text}]/`).hostname, `bytes ${[...bytes]}`);
      assert.deepEqual(bytesOf(text), [...bytes]);
    }
  });
});

describe("parseIpPrefix: masked routes, as AllowedIPs", () => {
  const masked: [text: string, canonical: string][] = [
    ["10.0.0.1/24", "10.0.0.0/24"],
    ["10.192.124.1/24", "10.192.124.0/24"],
    ["192.168.255.255/17", "192.168.128.0/17"],
    ["255.255.255.255/9", "255.128.0.0/9"],
    ["1.2.3.255/31", "1.2.3.254/31"],
    ["1.2.3.4/0", "0.0.0.0/0"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["10.0.0.1", "10.0.0.1/32"],
    ["fd00::1/64", "fd00::/64"],
    ["2001:db8::ffff/127", "2001:db8::fffe/127"],
    ["2001:db8:abcd:ef01::/33", "2001:db8:8000::/33"],
    ["::/0", "::/0"],
    ["::1", "::1/128"],
    ["::ffff:1.2.3.4/120", "::ffff:1.2.3.0/120"],
  ];
  for (const [text, canonical] of masked) {
    test(`${text} → ${canonical}`, () => assert.equal(formatIpPrefix(prefix(text)), canonical));
  }

  test("every IPv4 prefix length keeps exactly that many leading one bits", () => {
    for (let cidr = 0; cidr <= 32; cidr++) {
      const parsed = prefix(`255.255.255.255/${cidr}`);
      const value = parsed.address.reduce((word, byte) => word * 256 + byte, 0);
      assert.equal(value, cidr === 0 ? 0 : 2 ** 32 - 2 ** (32 - cidr), `/${cidr}`);
      assert.equal(parsed.cidr, cidr);
    }
  });

  test("every IPv6 prefix length keeps exactly that many leading one bits", () => {
    const allOnes = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
    for (let cidr = 0; cidr <= 128; cidr++) {
      const bits = [...prefix(`${allOnes}/${cidr}`).address].map((byte) => byte.toString(2).padStart(8, "0")).join("");
      assert.equal(bits, "1".repeat(cidr) + "0".repeat(128 - cidr), `/${cidr}`);
    }
  });

  const invalid = [
    "1.2.3.4/33", "::/129", "1.2.3.4/", "1.2.3.4/-1", "1.2.3.4/24/1", "/24", "1.2.3.4/ 24",
    "1.2.3.4/024", "1.2.3.4/1e1", "1.2.3.4/0x10", "fe80::1%eth0/64", "1.2.3/24", "[::1]/128", "",
  ];
  for (const text of invalid) {
    test(`rejects ${JSON.stringify(text)}`, () => assert.equal(parseIpPrefix(text), null));
  }
});

describe("parseInterfaceAddress: host bits kept, as wg-quick Address", () => {
  test("10.0.0.1/24 stays 10.0.0.1 on a /24", () => {
    const parsed = parseInterfaceAddress("10.0.0.1/24");
    assert.deepEqual(parsed, { family: 4, address: new Uint8Array([10, 0, 0, 1]), cidr: 24 });
    assert.equal(formatIpPrefix(parsed), "10.0.0.1/24");
  });
  test("fd00::1/64 and a bare address", () => {
    assert.equal(formatIpPrefix(parseInterfaceAddress("fd00::1/64") ?? assert.fail()), "fd00::1/64");
    assert.equal(formatIpPrefix(parseInterfaceAddress("fd00::1") ?? assert.fail()), "fd00::1/128");
  });
  test("the same syntax errors as parseIpPrefix", () => {
    for (const text of ["10.0.0.1/33", "fd00::1/129", "10.0.0.1/", "010.0.0.1/8"]) {
      assert.equal(parseInterfaceAddress(text), null, text);
    }
  });
});

describe("ipPrefixEquals", () => {
  test("equal after masking", () => assert.equal(ipPrefixEquals(prefix("10.0.0.1/24"), prefix("10.0.0.0/24")), true));
  test("IPv6 written two ways", () => assert.equal(ipPrefixEquals(prefix("2001:DB8:0::/32"), prefix("2001:db8::/32")), true));
  test("different length", () => assert.equal(ipPrefixEquals(prefix("10.0.0.0/24"), prefix("10.0.0.0/25")), false));
  test("different address", () => assert.equal(ipPrefixEquals(prefix("10.0.0.0/24"), prefix("10.0.1.0/24")), false));
  test("different family", () => assert.equal(ipPrefixEquals(prefix("::ffff:1.2.3.4/128"), prefix("1.2.3.4/32")), false));
  test("host bits count when kept", () => {
    const a = parseInterfaceAddress("10.0.0.1/24") ?? assert.fail();
    const b = parseInterfaceAddress("10.0.0.2/24") ?? assert.fail();
    assert.equal(ipPrefixEquals(a, b), false);
  });
});
