// The UAPI text protocol: what `wg set` sends parses into the right changes, bad lines name
// the line and key with the errno wg expects, and get=1 has the shape wg parses.

import assert from "node:assert/strict";
import { test } from "node:test";
import { formatIpPrefix, parseIpPrefix } from "../../src/net/ip-prefix.js";
import { parseIpEndpoint } from "../../src/net/endpoint.js";
import { formatUapiGet, parseUapiSet, UAPI_EINVAL, UAPI_EPROTO, UapiError } from "../../src/wireguard/uapi.js";

const KEY_A = "a".repeat(64);
const KEY_B = "0b".repeat(32);

test("a wg set request becomes device and peer changes", () => {
  const set = parseUapiSet([
    `private_key=${KEY_A}`,
    "listen_port=51820",
    "fwmark=0",
    "replace_peers=true",
    `public_key=${KEY_B}`,
    "replace_allowed_ips=true",
    "allowed_ip=10.0.0.2/32",
    "allowed_ip=fd00::2/128",
    "endpoint=[2001:db8::1]:51821",
    "persistent_keepalive_interval=25",
    `preshared_key=${"0".repeat(64)}`,
    "protocol_version=1",
    `public_key=${KEY_A}`,
    "remove=true",
  ]);
  assert.equal(Buffer.from(set.privateKey!).toString("hex"), KEY_A);
  assert.equal(set.listenPort, 51820);
  assert.equal(set.replacePeers, true);
  assert.equal(set.peers.length, 2);
  const [first, second] = set.peers;
  assert.deepEqual(first!.allowedIps.map(formatIpPrefix), ["10.0.0.2/32", "fd00::2/128"]);
  assert.deepEqual(first!.endpoint, { host: "2001:db8::1", port: 51821 });
  assert.equal(first!.persistentKeepaliveSeconds, 25);
  assert.equal(first!.presharedKey, null, "an all-zero preshared key removes it");
  assert.equal(first!.replaceAllowedIps, true);
  assert.equal(second!.remove, true);
});

test("bad requests name the line and key, with wg's errno", () => {
  const cases: [lines: string[], errno: number, pattern: RegExp][] = [
    [["listen_port=70000"], UAPI_EINVAL, /line 1: listen_port/],
    [[`public_key=${KEY_B}`, "endpoint=example.com:1"], UAPI_EINVAL, /line 2: endpoint/],
    [[`public_key=${KEY_B}`, "allowed_ip=10.0.0.0/33"], UAPI_EINVAL, /line 2: allowed_ip/],
    [["private_key=xyz"], UAPI_EINVAL, /line 1: private_key: expected 64/],
    [["no equals sign"], UAPI_EPROTO, /line 1: expected key=value/],
    [["bogus=1"], UAPI_EINVAL, /unknown device key "bogus"/],
    [[`public_key=${KEY_B}`, "bogus=1"], UAPI_EINVAL, /unknown peer key "bogus"/],
    [[`public_key=${KEY_B}`, "protocol_version=2"], UAPI_EINVAL, /only version 1/],
    [["replace_peers=false"], UAPI_EINVAL, /only "true"/],
  ];
  for (const [lines, errno, pattern] of cases) {
    assert.throws(() => parseUapiSet(lines), (error: unknown) => error instanceof UapiError && error.errno === errno && pattern.test(error.message), lines.join(" / "));
  }
});

test("endpoints: IPv4, bracketed IPv6, nothing else", () => {
  assert.deepEqual(parseIpEndpoint("192.0.2.1:1"), { host: "192.0.2.1", port: 1 });
  assert.deepEqual(parseIpEndpoint("[::ffff:192.0.2.1]:65535"), { host: "::ffff:192.0.2.1", port: 65535 });
  for (const bad of ["192.0.2.1", "192.0.2.1:0", "192.0.2.1:65536", "2001:db8::1:51820", "[192.0.2.1]:5", "host:5"]) {
    assert.equal(parseIpEndpoint(bad), null, bad);
  }
});

test("get=1 lists the device and each peer in the order wg reads", () => {
  const text = formatUapiGet({
    privateKey: Buffer.from(KEY_A, "hex"),
    listenPort: 51820,
    fwmark: 0,
    peers: [
      {
        publicKey: Buffer.from(KEY_B, "hex"),
        presharedKey: null,
        endpoint: { host: "2001:db8::1", port: 7 },
        lastHandshakeWallMs: 1_700_000_000_123,
        txBytes: 10,
        rxBytes: 20,
        persistentKeepaliveSeconds: 0,
        allowedIps: [parseIpPrefix("10.0.0.2/32")!],
      },
    ],
  });
  assert.equal(
    text,
    [
      `private_key=${KEY_A}`,
      "listen_port=51820",
      `public_key=${KEY_B}`,
      `preshared_key=${"0".repeat(64)}`,
      "protocol_version=1",
      "endpoint=[2001:db8::1]:7",
      "last_handshake_time_sec=1700000000",
      "last_handshake_time_nsec=123000000",
      "tx_bytes=10",
      "rx_bytes=20",
      "persistent_keepalive_interval=0",
      "allowed_ip=10.0.0.2/32",
      "errno=0",
      "",
      "",
    ].join("\n"),
  );
});
