// AllowedIPs through the bridge, on every WASM build: table tests in the manner of the kernel's
// selftest and wireguard-go's (overlaps, longest match, defaults, host bits, moving a prefix,
// removal, listing, IPv4-mapped addresses), then a randomized differential test against a
// reference that scans every prefix and keeps the longest match.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ALLOWED_IPS_LIST_MAX, ALLOWED_IPS_MAX_NODES, MAX_PEERS } from "../../assembly/abi.js";
import { createAllowedIps, type AllowedIps, type AllowedIpsEntry } from "../../src/dataplane/allowed-ips.js";
import { instantiateCore } from "../../src/dataplane/core-exports.js";
import { compileCryptoWasm, CRYPTO_WASM_VARIANTS } from "../../src/dataplane/crypto-wasm.js";
import { AllowedIpsFullError, CryptoArgumentError } from "../../src/dataplane/errors.js";
import { createSeededRandom, type SeededRandom } from "../fakes/seeded-random.js";

// "10.1.2.3" or "fd00:1::7" (hex groups, one optional "::") to network-order bytes.
function ip(text: string): Uint8Array {
  if (!text.includes(":")) return Uint8Array.from(text.split(".").map(Number));
  const [head = "", tail] = text.split("::");
  const groups = (part: string): number[] => (part === "" ? [] : part.split(":").map((g) => parseInt(g, 16)));
  const front = groups(head);
  const back = tail === undefined ? [] : groups(tail);
  const all = [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
  return Uint8Array.from(all.flatMap((g) => [g >> 8, g & 0xff]));
}

function prefix(text: string): AllowedIpsEntry {
  const [address = "", cidr = ""] = text.split("/");
  return { family: address.includes(":") ? 6 : 4, address: ip(address), cidr: Number(cidr) };
}

function show(entry: AllowedIpsEntry): string {
  return `${Buffer.from(entry.address).toString("hex")}/${entry.cidr}`;
}

// The reference: every prefix in a map, lookups scan them all.
interface Route {
  readonly entry: AllowedIpsEntry;
  readonly peer: number;
}

function masked({ family, address, cidr }: AllowedIpsEntry): AllowedIpsEntry {
  const out = address.slice();
  for (let bit = cidr; bit < out.length * 8; bit++) out[bit >> 3] = (out[bit >> 3] ?? 0) & ~(0x80 >> (bit & 7));
  return { family, address: out, cidr };
}

function covers({ address, cidr }: AllowedIpsEntry, candidate: Uint8Array): boolean {
  if (address.length !== candidate.length) return false;
  for (let bit = 0; bit < cidr; bit += 8) {
    const mask = cidr - bit >= 8 ? 0xff : (0xff00 >> (cidr - bit)) & 0xff;
    if ((((address[bit >> 3] ?? 0) ^ (candidate[bit >> 3] ?? 0)) & mask) !== 0) return false;
  }
  return true;
}

function referenceLookup(routes: ReadonlyMap<string, Route>, address: Uint8Array): number | null {
  let best: Route | null = null;
  for (const route of routes.values()) {
    if (covers(route.entry, address) && (best === null || route.entry.cidr > best.entry.cidr)) best = route;
  }
  return best === null ? null : best.peer;
}

// What list() must return: IPv4 then IPv6, each by address, a prefix before longer ones.
function referenceList(routes: ReadonlyMap<string, Route>, peer: number): string[] {
  const order = (e: AllowedIpsEntry): string => `${e.family}${Buffer.from(e.address).toString("hex")}${String(e.cidr).padStart(3, "0")}`;
  return [...routes.values()].filter((r) => r.peer === peer).map((r) => r.entry).sort((a, b) => (order(a) < order(b) ? -1 : 1)).map(show);
}

// Adds `delta` (±1) to an address as one big-endian number, wrapping at the ends.
function step(address: Uint8Array, delta: 1 | -1): Uint8Array {
  const out = address.slice();
  for (let i = out.length - 1; i >= 0; i--) {
    const value = (out[i] ?? 0) + delta;
    out[i] = value & 0xff;
    if (value >= 0 && value <= 0xff) break;
  }
  return out;
}

function lastAddress({ address, cidr }: AllowedIpsEntry): Uint8Array {
  const out = address.slice();
  for (let bit = cidr; bit < out.length * 8; bit++) out[bit >> 3] = (out[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
  return out;
}

for (const variant of CRYPTO_WASM_VARIANTS) {
  describe(`AllowedIPs cryptokey routing (${variant} build)`, () => {
    const compiled = compileCryptoWasm(variant);
    const table = createAllowedIps(instantiateCore(compiled.module));
    const expectLookups = (t: AllowedIps, cases: readonly (readonly [string, number | null])[]): void => {
      for (const [address, peer] of cases) assert.equal(t.lookup(ip(address)), peer, `lookup ${address}`);
    };
    const insertAll = (t: AllowedIps, routes: readonly (readonly [string, number])[]): void => {
      for (const [text, peer] of routes) t.insert(prefix(text), peer);
    };
    const listed = (t: AllowedIps, peer: number): string[] => t.list(peer).map(show);
    const [a, b, c, d, e, f] = [0, 1, 2, 3, 4, MAX_PEERS - 1] as const;

    test("overlapping IPv4 prefixes: the longest match wins, edges included", () => {
      table.clear();
      insertAll(table, [
        ["10.10.0.0/16", a], ["10.10.7.0/24", b], ["10.10.7.77/32", c], ["10.10.7.128/25", d],
        ["172.16.0.0/12", e], ["10.10.7.76/31", f],
      ]);
      expectLookups(table, [
        ["10.10.7.77", c], ["10.10.7.76", f], ["10.10.7.78", b], ["10.10.7.75", b], ["10.10.7.0", b],
        ["10.10.7.127", b], ["10.10.7.128", d], ["10.10.7.255", d], ["10.10.8.0", a], ["10.10.6.255", a],
        ["10.10.0.0", a], ["10.10.255.255", a], ["10.11.0.0", null], ["10.9.255.255", null],
        ["172.16.0.0", e], ["172.31.255.255", e], ["172.32.0.0", null], ["172.15.255.255", null],
        ["0.0.0.0", null], ["255.255.255.255", null],
      ]);
    });

    test("overlapping IPv6 prefixes: the longest match wins, edges included", () => {
      table.clear();
      insertAll(table, [
        ["fd00:aa::/32", a], ["fd00:aa:1::/48", b], ["fd00:aa:1:2::/64", c], ["fd00:aa:1:2::9/128", d],
        ["2001:db8::/32", e], ["fd00:aa:1:2:8000::/65", f],
      ]);
      expectLookups(table, [
        ["fd00:aa:1:2::9", d], ["fd00:aa:1:2::8", c], ["fd00:aa:1:2::a", c],
        ["fd00:aa:1:2:7fff:ffff:ffff:ffff", c], ["fd00:aa:1:2:8000::", f], ["fd00:aa:1:2:ffff:ffff:ffff:ffff", f],
        ["fd00:aa:1:3::", b], ["fd00:aa:1:1:ffff:ffff:ffff:ffff", b], ["fd00:aa:2::", a],
        ["fd00:aa:ffff:ffff:ffff:ffff:ffff:ffff", a], ["fd00:ab::", null], ["fd00:a9:ffff:ffff:ffff:ffff:ffff:ffff", null],
        ["2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", e], ["2001:db9::", null], ["::", null],
      ]);
    });

    test("/0 is the default for its own family only; /32 and /128 match one address", () => {
      table.clear();
      insertAll(table, [["192.0.2.1/32", a], ["2001:db8::1/128", b]]);
      expectLookups(table, [["192.0.2.1", a], ["192.0.2.0", null], ["192.0.2.2", null], ["2001:db8::1", b], ["2001:db8::", null], ["2001:db8::2", null]]);
      table.insert(prefix("0.0.0.0/0"), c);
      expectLookups(table, [["192.0.2.1", a], ["192.0.2.2", c], ["8.8.8.8", c], ["255.255.255.255", c], ["2001:db8::2", null], ["::", null]]);
      table.insert(prefix("::/0"), d);
      expectLookups(table, [["2001:db8::1", b], ["2001:db8::2", d], ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", d], ["8.8.8.8", c]]);
      assert.equal(table.remove(prefix("0.0.0.0/0")), true);
      expectLookups(table, [["8.8.8.8", null], ["::1", d]]);
    });

    test("IPv4-mapped IPv6 addresses are IPv6: they never meet an IPv4 prefix", () => {
      table.clear();
      insertAll(table, [["10.10.7.77/32", a], ["10.0.0.0/8", b]]);
      expectLookups(table, [["::ffff:a0a:74d", null], ["::a0a:74d", null], ["a0a:74d::", null], ["10.10.7.77", a]]);
      table.insert(prefix("::ffff:0:0/96"), c);
      expectLookups(table, [["::ffff:a0a:74d", c], ["10.10.7.77", a], ["10.1.1.1", b], ["::fffe:a0a:74d", null]]);
      assert.deepEqual(listed(table, c), ["00000000000000000000ffff00000000/96"]);
    });

    test("host bits past the cidr are ignored on insert and remove", () => {
      table.clear();
      table.insert(prefix("192.0.2.77/24"), a);
      table.insert(prefix("fd00::1:2:3:4/64"), a);
      expectLookups(table, [["192.0.2.1", a], ["192.0.2.255", a], ["192.0.3.0", null], ["fd00::ffff", a]]);
      assert.deepEqual(listed(table, a), ["c0000200/24", "fd000000000000000000000000000000/64"]);
      assert.equal(table.remove(prefix("192.0.2.200/24")), true);
      assert.equal(table.remove(prefix("fd00::9/64")), true);
      assert.deepEqual(listed(table, a), []);
    });

    test("inserting an existing prefix moves it to the new peer", () => {
      table.clear();
      insertAll(table, [["10.10.0.0/16", a], ["10.10.7.0/24", b], ["fd00::/64", b]]);
      table.insert(prefix("10.10.7.99/24"), e);
      table.insert(prefix("fd00::/64"), e);
      expectLookups(table, [["10.10.7.76", e], ["10.10.8.1", a], ["fd00::5", e]]);
      assert.deepEqual(listed(table, b), []);
      assert.deepEqual(listed(table, e), ["0a0a0700/24", "fd000000000000000000000000000000/64"]);
    });

    test("remove takes out one exact prefix and lookups fall back to the next shorter", () => {
      table.clear();
      insertAll(table, [["10.10.0.0/16", a], ["10.10.7.0/24", b], ["10.10.7.77/32", c], ["10.10.7.64/26", d]]);
      assert.equal(table.remove(prefix("10.10.7.0/24")), true);
      expectLookups(table, [["10.10.7.1", a], ["10.10.7.77", c], ["10.10.7.78", d]]);
      assert.equal(table.remove(prefix("10.10.7.0/24")), false, "already gone");
      assert.equal(table.remove(prefix("10.10.7.0/25")), false, "never there (a glue node may be)");
      assert.equal(table.remove(prefix("10.10.0.0/17")), false, "same start, other length");
      assert.equal(table.remove(prefix("10.10.7.77/32")), true);
      expectLookups(table, [["10.10.7.77", d]]);
      assert.equal(table.remove(prefix("10.10.7.64/26")), true);
      assert.equal(table.remove(prefix("10.10.0.0/16")), true);
      expectLookups(table, [["10.10.7.77", null], ["10.10.0.0", null]]);
    });

    test("removePeer removes every prefix of that peer and no other", () => {
      table.clear();
      insertAll(table, [
        ["10.0.0.0/8", a], ["10.1.0.0/16", b], ["10.1.1.0/24", a], ["10.1.1.1/32", b], ["fd00::/8", a],
        ["fd00:1::/32", b], ["fd00:1::1/128", a],
      ]);
      assert.equal(table.removePeer(a), 4);
      expectLookups(table, [["10.1.1.1", b], ["10.1.1.2", b], ["10.2.0.0", null], ["fd00:1::1", b], ["fd01::", null]]);
      assert.equal(table.removePeer(a), 0);
      assert.deepEqual(listed(table, b), ["0a010000/16", "0a010101/32", "fd000001000000000000000000000000/32"]);
    });

    test("list returns a peer's prefixes, IPv4 then IPv6 in address order, across pages", () => {
      table.clear();
      const count = 2 * ALLOWED_IPS_LIST_MAX + 17;
      const expected: string[] = [];
      for (let i = count - 1; i >= 0; i--) table.insert(prefix(`fd00::${i.toString(16)}:0/112`), c);
      for (let i = 0; i < count; i++) table.insert(prefix(`10.${i >> 8}.${i & 0xff}.0/24`), c);
      for (let i = 0; i < count; i++) expected.push(`0a${(i >> 8).toString(16).padStart(2, "0")}${(i & 0xff).toString(16).padStart(2, "0")}00/24`);
      for (let i = 0; i < count; i++) expected.push(`fd00${"0".repeat(20)}${i.toString(16).padStart(4, "0")}0000/112`);
      table.insert(prefix("10.0.0.0/8"), d);
      assert.deepEqual(listed(table, c), expected);
      assert.deepEqual(listed(table, d), ["0a000000/8"]);
      for (const page of [ALLOWED_IPS_LIST_MAX, 2 * ALLOWED_IPS_LIST_MAX]) {
        table.clear();
        for (let i = 0; i < page; i++) table.insert(prefix(`192.168.${i >> 6}.${(i & 63) * 4}/30`), e);
        assert.equal(table.list(e).length, page, "a last page that is exactly full");
      }
    });

    test("clear empties both families", () => {
      insertAll(table, [["0.0.0.0/0", a], ["::/0", a]]);
      table.clear();
      expectLookups(table, [["1.2.3.4", null], ["::1", null]]);
      assert.deepEqual(listed(table, a), []);
    });

    test("bad arguments throw CryptoArgumentError before reaching the core", () => {
      const bad: readonly (readonly [AllowedIpsEntry, number])[] = [
        [{ family: 4, address: new Uint8Array(16), cidr: 8 }, a],
        [{ family: 6, address: new Uint8Array(4), cidr: 8 }, a],
        [{ family: 4, address: new Uint8Array(4), cidr: 33 }, a],
        [{ family: 6, address: new Uint8Array(16), cidr: 129 }, a],
        [{ family: 4, address: new Uint8Array(4), cidr: 1.5 }, a],
        [{ family: 5 as 4, address: new Uint8Array(4), cidr: 8 }, a],
        [{ family: 4, address: new Uint8Array(4), cidr: 8 }, MAX_PEERS],
        [{ family: 4, address: new Uint8Array(4), cidr: 8 }, -1],
      ];
      for (const [entry, peer] of bad) assert.throws(() => table.insert(entry, peer), CryptoArgumentError, show(entry));
      assert.throws(() => table.remove({ family: 4, address: new Uint8Array(5), cidr: 8 }), CryptoArgumentError);
      for (const length of [0, 3, 5, 15, 17]) assert.throws(() => table.lookup(new Uint8Array(length)), CryptoArgumentError);
      assert.throws(() => table.removePeer(MAX_PEERS), CryptoArgumentError);
      assert.throws(() => table.list(-1), CryptoArgumentError);
    });

    test("a full table throws AllowedIpsFullError and keeps what it had", () => {
      const full = createAllowedIps(instantiateCore(compiled.module));
      let added = 0;
      const host = (i: number): AllowedIpsEntry => prefix(`fd00::${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}/128`);
      assert.throws(() => {
        for (;; added++) full.insert(host(added), added % MAX_PEERS);
      }, AllowedIpsFullError);
      assert.equal(added, ALLOWED_IPS_MAX_NODES / 2, "consecutive hosts fill the pool exactly");
      assert.equal(full.lookup(host(added).address), null);
      assert.equal(full.lookup(host(added - 1).address), (added - 1) % MAX_PEERS);
      full.insert(host(0), f);
      assert.equal(full.lookup(host(0).address), f, "moving a prefix still works when full");
    });

    for (const family of [4, 6] as const) {
      test(`differential against a linear scan: IPv${family}`, () => {
        const random = createSeededRandom(family === 4 ? 0x1f4 : 0x1f6);
        const diff = createAllowedIps(instantiateCore(compiled.module));
        differential(diff, random, family);
      });
    }
  });
}

// Random prefixes around a few bases (so they nest and overlap), random moves, removals and
// removePeer; after every round, thousands of lookups (inside prefixes, just outside their
// edges, anywhere) and every peer's list are compared with the reference.
function differential(table: AllowedIps, random: SeededRandom, family: 4 | 6): void {
  const bytes = family === 4 ? 4 : 16;
  const bits = bytes * 8;
  const bases = Array.from({ length: 8 }, () => random.bytes(bytes));
  const routes = new Map<string, Route>();
  const peers = 24;
  const nearBase = (): Uint8Array => {
    const address = random.pick(bases).slice();
    const from = random.below(bytes + 1);
    address.set(random.bytes(bytes - from), from);
    return address;
  };
  const randomCidr = (): number => (random.below(8) === 0 ? random.below(bits + 1) : bits - random.below(bits / 2 + 1));
  let lookups = 0;
  for (let round = 0; round < 6; round++) {
    for (let i = 0; i < 2000; i++) {
      const action = random.below(1000);
      const existing = [...routes.values()];
      if (action < 2) {
        const peer = random.below(peers);
        let expected = 0;
        for (const [key, route] of routes) if (route.peer === peer && routes.delete(key)) expected++;
        assert.equal(table.removePeer(peer), expected, `removePeer ${peer}`);
      } else if (action < 200 && existing.length > 0) {
        const entry = random.below(4) === 0 ? { family, address: nearBase(), cidr: randomCidr() } : random.pick(existing).entry;
        assert.equal(table.remove(entry), routes.delete(show(masked(entry))), `remove ${show(entry)}`);
      } else {
        // One insert in ten moves an existing prefix to another peer.
        const entry: AllowedIpsEntry = action < 280 && existing.length > 0
          ? { ...random.pick(existing).entry }
          : { family, address: nearBase(), cidr: randomCidr() };
        const peer = random.below(peers);
        table.insert(entry, peer);
        const stored = masked(entry);
        routes.set(show(stored), { entry: stored, peer });
      }
    }
    const existing = [...routes.values()];
    for (let i = 0; i < 2000; i++, lookups++) {
      const kind = random.below(4);
      const route = random.pick(existing).entry;
      let address: Uint8Array = route.address.slice();
      if (kind === 0) address = nearBase();
      else if (kind === 1) address = step(route.address, -1);
      else if (kind === 2) address = step(lastAddress(route), 1);
      else address.set(random.bytes(2), bytes - 2);
      assert.equal(table.lookup(address), referenceLookup(routes, address), `lookup ${Buffer.from(address).toString("hex")}`);
    }
    for (let peer = 0; peer < peers; peer++) assert.deepEqual(table.list(peer).map(show), referenceList(routes, peer), `list ${peer}`);
  }
  assert.ok(routes.size > 2000, `a sizeable table (${routes.size} prefixes, ${lookups} lookups)`);
}
