// WireGuard configuration files: realistic wg(8) and wg-quick(8) files read to the values the
// real tools would use, written back canonically and read again to an equal config, and one
// located, explained error for every kind of malformed line.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ConfigError,
  decodeKey,
  encodeKey,
  formatWireGuardConfig,
  parseWireGuardConfig,
  stripWgQuickFields,
  type WireGuardConfig,
} from "../../src/wireguard/config.js";
import { formatIpPrefix } from "../../src/net/ip-prefix.js";
import { decodeKeyBytes, encodeKeyBytes } from "../../src/wireguard/key-base64.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

// Keys from the examples in wg(8) and wg-quick(8).
const PRIVATE = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
const PEER_A = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
const PEER_B = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=";
const PEER_C = "gN65BkIKy1eCE9pP1wdc8ROUtkHLF2PfAqYdyYBz6EA=";
const PSK = "/UwcSPg38hW/D9Y3tcS1FOV0K1wuURMbS0sesJEP5ak=";

function key(base64: string): Uint8Array {
  return decodeKey(base64) ?? assert.fail(`test key ${base64} should decode`);
}

/** Parse, write, parse again: the config must survive, and the canonical text must be stable. */
function assertRoundTrip(config: WireGuardConfig): string {
  const text = formatWireGuardConfig(config);
  const again = parseWireGuardConfig(text, "canonical.conf");
  assert.deepEqual(again, config);
  assert.equal(formatWireGuardConfig(again), text);
  return text;
}

describe("decodeKey / encodeKey", () => {
  test("agree with node's base64 on 500 random keys", () => {
    const random = createSeededRandom(0x6b6579);
    for (let round = 0; round < 500; round++) {
      const bytes = random.bytes(32);
      const text = Buffer.from(bytes).toString("base64");
      assert.equal(encodeKey(bytes), text);
      assert.deepEqual(decodeKey(text), bytes);
      // The byte forms a key file uses (no string in between) agree with the text forms.
      const ascii = new TextEncoder().encode(text);
      assert.deepEqual(encodeKeyBytes(bytes), ascii);
      assert.deepEqual(decodeKeyBytes(ascii), bytes);
    }
  });
  test("a key from wg(8) decodes to its bytes", () => {
    assert.deepEqual(key(PEER_A), new Uint8Array(Buffer.from(PEER_A, "base64")));
    assert.equal(encodeKey(key(PEER_A)), PEER_A);
  });
  test("rejects non-canonical padding bits, as wg's key_from_base64 does", () => {
    // "g" is 32 (low bits 00); "h" is 33: node decodes both to the same bytes, wg refuses "h".
    assert.equal(decodeKey(PEER_A.replace(/g=$/, "h=")), null);
    assert.equal(decodeKey(PEER_A.replace(/g=$/, "j=")), null);
  });
  const malformed = [
    "", "abc", PEER_A.slice(0, 43), `${PEER_A}=`, `${PEER_A.slice(0, 42)}==`, PEER_A.slice(0, 43) + "A",
    PRIVATE.replace("+", "-"), PSK.replace("/", "_"), ` ${PEER_A.slice(1)}`, PEER_A.replace("5", "."),
  ];
  for (const text of malformed) {
    test(`rejects ${JSON.stringify(text)}`, () => {
      assert.equal(decodeKey(text), null);
      assert.equal(decodeKeyBytes(new TextEncoder().encode(text)), null);
    });
  }
  test("encodeKey refuses a key that is not 32 bytes", () => {
    assert.throws(() => encodeKey(new Uint8Array(31)), /32 bytes, got 31/);
  });
});

describe("parseWireGuardConfig: realistic files", () => {
  test("the wg(8) example: three peers, IPv4, IPv6 and hostname endpoints", () => {
    const text = [
      "[Interface]", `PrivateKey = ${PRIVATE}`, "ListenPort = 51820", "",
      "[Peer]", `PublicKey = ${PEER_A}`, "Endpoint = 192.95.5.67:1234", "AllowedIPs = 10.192.122.3/32, 10.192.124.1/24", "",
      "[Peer]", `PublicKey = ${PEER_B}`, "Endpoint = [2607:5300:60:6b0::c05f:543]:2468", "AllowedIPs = 10.192.122.4/32, 192.168.0.0/16", "",
      "[Peer]", `PublicKey = ${PEER_C}`, "Endpoint = test.wireguard.com:18981", "AllowedIPs = 10.10.10.230/32", "",
    ].join("\n");
    const config = parseWireGuardConfig(text, "wg0.conf");
    assert.deepEqual(config.interface.privateKey, key(PRIVATE));
    assert.equal(config.interface.listenPort, 51820);
    assert.deepEqual(config.peers.map((peer) => encodeKey(peer.publicKey)), [PEER_A, PEER_B, PEER_C]);
    assert.deepEqual(config.peers.map((peer) => peer.endpoint), [
      { host: "192.95.5.67", port: 1234 },
      { host: "2607:5300:60:6b0::c05f:543", port: 2468 },
      { host: "test.wireguard.com", port: 18981 },
    ]);
    // 10.192.124.1/24 has host bits: wg warns and the kernel stores 10.192.124.0/24.
    assert.deepEqual(config.peers.map((peer) => peer.allowedIps.map(formatIpPrefix)), [
      ["10.192.122.3/32", "10.192.124.0/24"],
      ["10.192.122.4/32", "192.168.0.0/16"],
      ["10.10.10.230/32"],
    ]);
    assert.equal(assertRoundTrip(config), [
      "[Interface]", `PrivateKey = ${PRIVATE}`, "ListenPort = 51820", "",
      "[Peer]", `PublicKey = ${PEER_A}`, "AllowedIPs = 10.192.122.3/32, 10.192.124.0/24", "Endpoint = 192.95.5.67:1234", "",
      "[Peer]", `PublicKey = ${PEER_B}`, "AllowedIPs = 10.192.122.4/32, 192.168.0.0/16", "Endpoint = [2607:5300:60:6b0::c05f:543]:2468", "",
      "[Peer]", `PublicKey = ${PEER_C}`, "AllowedIPs = 10.10.10.230/32", "Endpoint = test.wireguard.com:18981", "",
    ].join("\n"));
  });

  const everything = [
    "# wg0.conf for the home router",
    "[Interface]",
    "Address = 10.200.100.8/24, fd42:42:42::8/64",
    "Address = 192.168.77.1/24",
    "DNS = 10.200.100.1, fd42:42:42::1",
    "DNS = home.example",
    `PrivateKey = ${PRIVATE}`,
    "ListenPort = 51820",
    "FwMark = 0xca6c",
    "MTU = 1420",
    "Table = 1234",
    "SaveConfig = true",
    "PreUp = sysctl -w net.ipv4.ip_forward=1",
    "PostUp = iptables -A FORWARD -i %i -j ACCEPT; iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE",
    "PostUp = echo up # this comment is part of the command, as in wg-quick",
    "PreDown = ip rule delete ipproto tcp dport 22 table 1234",
    "PostDown = iptables -D FORWARD -i %i -j ACCEPT",
    "",
    "[Peer]",
    `PublicKey = ${PEER_A}`,
    `PresharedKey = ${PSK}`,
    "AllowedIPs = 0.0.0.0/0, ::/0",
    "Endpoint = demo.wireguard.com:51820",
    "PersistentKeepalive = 25",
  ].join("\n");

  test("a wg-quick file with every field", () => {
    const config = parseWireGuardConfig(everything, "wg0.conf");
    const { interface: iface } = config;
    // Address keeps the host part: it is the interface's own address.
    assert.deepEqual(iface.addresses.map(formatIpPrefix), ["10.200.100.8/24", "fd42:42:42::8/64", "192.168.77.1/24"]);
    assert.deepEqual(iface.dns, ["10.200.100.1", "fd42:42:42::1", "home.example"]);
    assert.equal(iface.fwMark, 0xca6c);
    assert.equal(iface.mtu, 1420);
    assert.equal(iface.table, "1234");
    assert.equal(iface.saveConfig, true);
    assert.deepEqual(iface.preUp, ["sysctl -w net.ipv4.ip_forward=1"]);
    assert.deepEqual(iface.postUp, [
      "iptables -A FORWARD -i %i -j ACCEPT; iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE",
      "echo up # this comment is part of the command, as in wg-quick",
    ]);
    assert.deepEqual(iface.preDown, ["ip rule delete ipproto tcp dport 22 table 1234"]);
    assert.deepEqual(iface.postDown, ["iptables -D FORWARD -i %i -j ACCEPT"]);
    const [peer] = config.peers;
    assert.ok(peer !== undefined && config.peers.length === 1);
    assert.deepEqual(peer.presharedKey, key(PSK));
    assert.deepEqual(peer.allowedIps.map(formatIpPrefix), ["0.0.0.0/0", "::/0"]);
    assert.deepEqual(peer.endpoint, { host: "demo.wireguard.com", port: 51820 });
    assert.equal(peer.persistentKeepalive, 25);
    const text = assertRoundTrip(config);
    assert.match(text, /^Address = 10\.200\.100\.8\/24, fd42:42:42::8\/64, 192\.168\.77\.1\/24$/m);
    assert.match(text, /^FwMark = 0xca6c$/m);
  });

  test("stripWgQuickFields keeps only what wg setconf accepts", () => {
    const stripped = stripWgQuickFields(parseWireGuardConfig(everything));
    assert.equal(formatWireGuardConfig(stripped), [
      "[Interface]", `PrivateKey = ${PRIVATE}`, "ListenPort = 51820", "FwMark = 0xca6c", "",
      "[Peer]", `PublicKey = ${PEER_A}`, `PresharedKey = ${PSK}`, "AllowedIPs = 0.0.0.0/0, ::/0",
      "Endpoint = demo.wireguard.com:51820", "PersistentKeepalive = 25", "",
    ].join("\n"));
  });

  test("a minimal file", () => {
    const config = parseWireGuardConfig(`[Interface]\nPrivateKey = ${PRIVATE}\n`);
    assert.deepEqual(config, {
      interface: { privateKey: key(PRIVATE), addresses: [], dns: [], preUp: [], postUp: [], preDown: [], postDown: [] },
      peers: [],
    });
    assert.equal(assertRoundTrip(config), `[Interface]\nPrivateKey = ${PRIVATE}\n`);
  });

  test("a peers-only file, as `wg addconf` takes", () => {
    const config = parseWireGuardConfig(`[Peer]\nPublicKey = ${PEER_B}\n`);
    assert.equal(config.interface.privateKey, undefined);
    assert.equal(config.peers.length, 1);
    assertRoundTrip(config);
  });

  test("letter case, whitespace, comments, CRLF and lists split over lines", () => {
    const text = [
      "  # leading comment", "[INTERFACE]   # section comment", `\tprivatekey\t=${PRIVATE}`, "LISTENPORT=0",
      "fwmark = off", "", "[peer]", `publickey   =   ${PEER_A}   # whose key`,
      "allowedips=10.0.0.0/8,10.1.0.0/16", "AllowedIPs = fd00::/8 # more", "AllowedIPs =", "persistentkeepalive = off",
      "endpoint = [2001:DB8:0::1]:51820", "[ Peer ]", `PublicKey = ${PEER_B}`, "PersistentKeepalive = 0",
      "Endpoint = vpn.example.org.:443",
    ].join("\r\n");
    const config = parseWireGuardConfig(text);
    assert.equal(config.interface.listenPort, 0);
    assert.equal(config.interface.fwMark, 0);
    const [first, second] = config.peers;
    assert.ok(first !== undefined && second !== undefined);
    assert.deepEqual(first.allowedIps.map(formatIpPrefix), ["10.0.0.0/8", "10.1.0.0/16", "fd00::/8"]);
    assert.equal("persistentKeepalive" in first, false, "off leaves the field unset");
    assert.deepEqual(first.endpoint, { host: "2001:db8::1", port: 51820 }, "IP literals are canonical");
    assert.deepEqual(second.allowedIps, []);
    assert.equal("persistentKeepalive" in second, false, "0 leaves the field unset");
    assert.deepEqual(second.endpoint, { host: "vpn.example.org.", port: 443 });
    const canonical = assertRoundTrip(config);
    assert.match(canonical, /^FwMark = off$/m, "a 0 mark is written so it reads back as set");
    assert.match(canonical, /^Endpoint = \[2001:db8::1\]:51820$/m);
  });

  test("fwmark in decimal and hex up to 2^32-1", () => {
    const mark = (value: string): number | undefined => parseWireGuardConfig(`[Interface]\nFwMark = ${value}`).interface.fwMark;
    assert.equal(mark("51820"), 51820);
    assert.equal(mark("4294967295"), 0xffffffff);
    assert.equal(mark("0xffffffff"), 0xffffffff);
    assert.equal(mark("0"), 0);
    assert.equal(mark("OFF"), 0);
  });

  test("a wg-quick value that is a list may use spaces too; DNS entries are kept as written", () => {
    const config = parseWireGuardConfig("[Interface]\nAddress = 10.0.0.1/24 fd00::1/64,,\nDNS = 1.1.1.1 Example.COM");
    assert.deepEqual(config.interface.addresses.map(formatIpPrefix), ["10.0.0.1/24", "fd00::1/64"]);
    assert.deepEqual(config.interface.dns, ["1.1.1.1", "Example.COM"]);
  });
});

describe("formatWireGuardConfig", () => {
  test("refuses values that would break out of their line", () => {
    const config = parseWireGuardConfig(`[Interface]\nPrivateKey = ${PRIVATE}`);
    config.interface.dns.push(`1.1.1.1\n[Peer]\nPublicKey = ${PEER_A}`);
    assert.throws(() => formatWireGuardConfig(config), /DNS value contains a line break/);
    config.interface.dns.length = 0;
    config.interface.postUp.push("echo a\rb");
    assert.throws(() => formatWireGuardConfig(config), /PostUp value contains a line break/);
  });
  test("refuses a key of the wrong length", () => {
    assert.throws(() => formatWireGuardConfig({ interface: { ...parseWireGuardConfig("").interface, privateKey: new Uint8Array(16) }, peers: [] }), RangeError);
  });
});

interface ErrorCase {
  readonly name: string;
  readonly text: string;
  readonly line: number;
  readonly field: string | undefined;
  readonly message: RegExp;
}

const IFACE = `[Interface]\nPrivateKey = ${PRIVATE}\n`; // lines 1-2
const PEER = `[Peer]\nPublicKey = ${PEER_A}\n`; // two lines

const errorCases: ErrorCase[] = [
  { name: "unknown section", text: `${IFACE}\n[Peers]\n`, line: 4, field: undefined, message: /unknown section "\[Peers\]"; expected \[Interface\] or \[Peer\]/ },
  { name: "unclosed section header", text: "[Peer\n", line: 1, field: undefined, message: /expected "\[Interface\]" or "\[Peer\]", got "\[Peer"/ },
  { name: "second [Interface]", text: `${IFACE}${PEER}[interface]\n`, line: 5, field: undefined, message: /second \[Interface\] section \(the first is on line 1\)/ },
  { name: "key outside a section", text: `ListenPort = 51820\n${IFACE}`, line: 1, field: "ListenPort", message: /comes before any section; put it under \[Interface\] or \[Peer\]/ },
  { name: "unknown key", text: `${IFACE}ListenPrt = 51820\n`, line: 3, field: "ListenPrt", message: /unknown field in \[Interface\]; expected one of PrivateKey, ListenPort, FwMark/ },
  { name: "key of the other section", text: `${IFACE}Endpoint = 1.2.3.4:5\n`, line: 3, field: "Endpoint", message: /belongs in the \[Peer\] section, not in \[Interface\]/ },
  { name: "interface key in a peer", text: `${IFACE}${PEER}address = 10.0.0.1/24\n`, line: 5, field: "Address", message: /belongs in the \[Interface\] section, not in \[Peer\]/ },
  { name: "two PrivateKey", text: `${IFACE}ListenPort = 1\nprivatekey = ${PRIVATE}\n`, line: 4, field: "PrivateKey", message: /set twice in one \[Interface\] section \(first on line 2\); only one is allowed/ },
  { name: "two PublicKey in one peer", text: `${IFACE}${PEER}PublicKey = ${PEER_B}\n`, line: 5, field: "PublicKey", message: /set twice in one \[Peer\] section \(first on line 4\)/ },
  { name: "two Endpoint", text: `${PEER}Endpoint = a.example:1\nEndpoint = b.example:1\n`, line: 4, field: "Endpoint", message: /set twice .*first on line 3/ },
  { name: "two MTU", text: `${IFACE}MTU = 1420\nMTU = 1280\n`, line: 4, field: "MTU", message: /set twice .*first on line 3/ },
  { name: "missing =", text: `${IFACE}\n${PEER}PersistentKeepalive 25\n`, line: 6, field: "PersistentKeepalive", message: /expected "Key = Value" or a \[Section\] header, got "PersistentKeepalive" without "="$/ },
  { name: "missing = before a padded key", text: `[Interface]\nPrivateKey ${PRIVATE}\n`, line: 2, field: "PrivateKey", message: /got "PrivateKey" and more words before "="$/ },
  { name: "key of two words", text: `[Peer]\nPublic Key = ${PEER_A}\n`, line: 2, field: undefined, message: /got "Public" and more words before "="/ },
  { name: "unknown word without =", text: `${IFACE}hello\n`, line: 3, field: undefined, message: /got "hello" without "="/ },
  { name: "nothing before =", text: `${IFACE}= 51820\n`, line: 3, field: undefined, message: /expected a field name before "="/ },
  { name: "short public key", text: "[Interface]\nListenPort = 51820\n\n\n\n[Peer]\nPublicKey = abc\n", line: 7, field: "PublicKey", message: /^wg0\.conf:7: PublicKey: expected a base64 WireGuard key \(44 characters ending in '='\), got "abc"$/ },
  { name: "non-canonical public key", text: `[Peer]\nPublicKey = ${PEER_A.replace(/g=$/, "h=")}\n`, line: 2, field: "PublicKey", message: /expected a base64 WireGuard key/ },
  { name: "bad private key", text: `[Interface]\nPrivateKey = ${PRIVATE.slice(0, 43)}\n`, line: 2, field: "PrivateKey", message: /got 43 characters that are not one \(not shown: secret\)$/ },
  { name: "bad preshared key", text: `${PEER}PresharedKey = ${PSK.replace("/", "_")}\n`, line: 3, field: "PresharedKey", message: /not shown: secret/ },
  { name: "listen port too big", text: "[Interface]\nListenPort = 65536\n", line: 2, field: "ListenPort", message: /expected a port from 0 to 65535, got "65536"/ },
  { name: "listen port not a number", text: "[Interface]\nListenPort = wireguard\n", line: 2, field: "ListenPort", message: /got "wireguard"/ },
  { name: "endpoint without port", text: `${PEER}Endpoint = 192.95.5.67\n`, line: 3, field: "Endpoint", message: /expected host:port or \[IPv6 address\]:port \(no ':port' at the end\), got "192.95.5.67"/ },
  { name: "endpoint port 0", text: `${PEER}Endpoint = 192.95.5.67:0\n`, line: 3, field: "Endpoint", message: /port "0" is not a number from 1 to 65535/ },
  { name: "endpoint port too big", text: `${PEER}Endpoint = host.example:65536\n`, line: 3, field: "Endpoint", message: /port "65536"/ },
  { name: "endpoint IPv6 without brackets", text: `${PEER}Endpoint = 2001:db8::1:51820\n`, line: 3, field: "Endpoint", message: /an IPv6 address needs brackets/ },
  { name: "endpoint unclosed bracket", text: `${PEER}Endpoint = [2001:db8::1:51820\n`, line: 3, field: "Endpoint", message: /no '\]' closing the IPv6 address/ },
  { name: "endpoint bracket without port", text: `${PEER}Endpoint = [2001:db8::1]51820\n`, line: 3, field: "Endpoint", message: /no ':port' after the '\]'/ },
  { name: "endpoint IPv4 in brackets", text: `${PEER}Endpoint = [1.2.3.4]:1\n`, line: 3, field: "Endpoint", message: /"1.2.3.4" in brackets is not an IPv6 address/ },
  { name: "endpoint bad IPv4", text: `${PEER}Endpoint = 256.1.1.1:51820\n`, line: 3, field: "Endpoint", message: /"256.1.1.1" is neither an IP address nor a host name/ },
  { name: "endpoint bad host name", text: `${PEER}Endpoint = -bad-.example:51820\n`, line: 3, field: "Endpoint", message: /is neither an IP address nor a host name/ },
  { name: "prefix length too long", text: `${PEER}AllowedIPs = 10.0.0.0/8, 10.0.0.0/33\n`, line: 3, field: "AllowedIPs", message: /expected an IP prefix like 10\.0\.0\.0\/24 or fd00::\/64 .*got "10.0.0.0\/33"/ },
  { name: "IPv6 prefix too long", text: `${PEER}AllowedIPs = ::/129\n`, line: 3, field: "AllowedIPs", message: /got "::\/129"/ },
  { name: "zone id in AllowedIPs", text: `${PEER}AllowedIPs = fe80::1%eth0/128\n`, line: 3, field: "AllowedIPs", message: /got "fe80::1%eth0\/128"/ },
  { name: "prefixes separated by a space", text: `${PEER}AllowedIPs = 10.0.0.0/8 10.1.0.0/16\n`, line: 3, field: "AllowedIPs", message: /got "10.0.0.0\/8 10.1.0.0\/16"/ },
  { name: "trailing comma in AllowedIPs", text: `${PEER}AllowedIPs = 10.0.0.0/8,\n`, line: 3, field: "AllowedIPs", message: /got an empty entry in "10.0.0.0\/8,"/ },
  { name: "keepalive too big", text: `${PEER}PersistentKeepalive = 65536\n`, line: 3, field: "PersistentKeepalive", message: /expected "off" or a number of seconds from 0 to 65535, got "65536"/ },
  { name: "keepalive with a unit", text: `${PEER}PersistentKeepalive = 25s\n`, line: 3, field: "PersistentKeepalive", message: /got "25s"/ },
  { name: "fwmark too big", text: "[Interface]\nFwMark = 4294967296\n", line: 2, field: "FwMark", message: /expected "off" or a number from 0 to 4294967295/ },
  { name: "fwmark with capital 0X", text: "[Interface]\nFwMark = 0X10\n", line: 2, field: "FwMark", message: /got "0X10"/ },
  { name: "MTU too small", text: "[Interface]\nMTU = 67\n", line: 2, field: "MTU", message: /expected a number from 68 to 65535, got "67"/ },
  { name: "SaveConfig not a boolean", text: "[Interface]\nSaveConfig = yes\n", line: 2, field: "SaveConfig", message: /expected "true" or "false", got "yes"/ },
  { name: "Table with shell characters", text: "[Interface]\nTable = main;reboot\n", line: 2, field: "Table", message: /got "main;reboot"/ },
  { name: "bad Address", text: "[Interface]\nAddress = 10.0.0.1/24, 10.0.0.300/24\n", line: 2, field: "Address", message: /expected an IP address with an optional prefix length.*got "10.0.0.300\/24"/ },
  { name: "DNS that looks like an address but is not", text: "[Interface]\nDNS = 1.1.1\n", line: 2, field: "DNS", message: /expected a DNS server IP address or a search domain name, got "1.1.1"/ },
  { name: "DNS search domain with bad characters", text: "[Interface]\nDNS = bad!domain\n", line: 2, field: "DNS", message: /got "bad!domain"/ },
  { name: "peer without PublicKey", text: `${IFACE}\n[Peer]\nAllowedIPs = 10.0.0.0/8\n\n${PEER}`, line: 4, field: "PublicKey", message: /this \[Peer\] section has no PublicKey; every peer needs one/ },
  { name: "last peer without PublicKey", text: `${IFACE}${PEER}[Peer]\nEndpoint = a.example:1\n`, line: 5, field: "PublicKey", message: /has no PublicKey/ },
  { name: "duplicate peer public key", text: `${IFACE}${PEER}\n[Peer]\n# again\nPublicKey = ${PEER_A}\n`, line: 8, field: "PublicKey", message: /the \[Peer\] on line 3 has the same key; each peer needs its own/ },
  { name: "empty PublicKey", text: "[Peer]\nPublicKey =\n", line: 2, field: "PublicKey", message: /expected a base64 WireGuard key .*, got an empty value/ },
  { name: "empty Endpoint", text: `${PEER}Endpoint = # later\n`, line: 3, field: "Endpoint", message: /expected host:port or \[IPv6 address\]:port, got an empty value/ },
  { name: "empty ListenPort", text: "[Interface]\nListenPort=\n", line: 2, field: "ListenPort", message: /got an empty value/ },
  { name: "empty hook", text: "[Interface]\nPostUp =   \n", line: 2, field: "PostUp", message: /expected a shell command, got an empty value/ },
];

describe("parseWireGuardConfig: errors name the file, line and field, and what was expected", () => {
  for (const { name, text, line, field, message } of errorCases) {
    test(name, () => {
      assert.throws(() => parseWireGuardConfig(text, "wg0.conf"), (error: unknown) => {
        assert.ok(error instanceof ConfigError, `not a ConfigError: ${String(error)}`);
        assert.equal(error.source, "wg0.conf");
        assert.equal(error.line, line);
        assert.equal(error.field, field);
        assert.ok(error.message.startsWith(`wg0.conf:${line}: ${field === undefined ? "" : `${field}: `}`), error.message);
        assert.match(error.message, message);
        return true;
      });
    });
  }

  test("secrets never appear in a message", () => {
    const cases = [
      `[Interface]\nPrivateKey = ${PRIVATE.slice(0, 43)}\n`,
      `[Interface]\nPrivateKey ${PRIVATE}\n`,
      `[Peer]\nPresharedKey = ${PSK}x\n`,
    ];
    for (const text of cases) {
      assert.throws(() => parseWireGuardConfig(text), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.doesNotMatch(error.message, /yAnz5TF|UwcSPg38/);
        return true;
      });
    }
  });

  test("the source name defaults to <config>", () => {
    assert.throws(() => parseWireGuardConfig("[Bogus]"), /^ConfigError: <config>:1: unknown section/);
  });
});
