// The AllowedIPs exports of the WASM core, below the TypeScript bridge: every bad argument gets
// its status (never a trap), a full pool refuses without changing the table, and random
// insert/remove storms neither trap nor leak nodes (the pool holds exactly as much afterwards).

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  ALLOWED_IPS_ENTRY_BYTES,
  ALLOWED_IPS_LIST_MAX,
  ALLOWED_IPS_MAX_NODES,
  MAX_PEERS,
  PEER_NONE,
  STATUS_BAD_LENGTH,
  STATUS_BAD_PREFIX,
  STATUS_NOT_FOUND,
  STATUS_OK,
  STATUS_TABLE_FULL,
} from "../../assembly/abi.js";
import { instantiateCore, type CoreInstance } from "../../src/dataplane/core-exports.js";
import { compileCryptoWasm, CRYPTO_WASM_VARIANTS } from "../../src/dataplane/crypto-wasm.js";
import { createSeededRandom, type SeededRandom } from "../fakes/seeded-random.js";

const I32_MIN = -(2 ** 31);
const I32_MAX = 2 ** 31 - 1;
// Consecutive /32s make a complete trie: n leaves and n − 1 glue nodes, so the usable pool
// (ALLOWED_IPS_MAX_NODES − 1 nodes, index 0 means "none") takes exactly this many.
const CONSECUTIVE_HOSTS_CAPACITY = ALLOWED_IPS_MAX_NODES / 2;

function stageIpv4(core: CoreInstance, value: number): void {
  core.views.allowedIpsAddress.fill(0);
  new DataView(core.views.allowedIpsAddress.buffer).setUint32(core.views.allowedIpsAddress.byteOffset, value >>> 0);
}

// Inserts 10.0.0.0 + i /32 for i = 0, 1, … until the pool refuses; returns how many fit.
function fillWithHosts(core: CoreInstance, peer: number): number {
  const f = core.functions;
  for (let i = 0; ; i++) {
    stageIpv4(core, 0x0a00_0000 + i);
    const status = f.allowedIpsInsert(4, 32, peer);
    if (status === STATUS_TABLE_FULL) return i;
    assert.equal(status, STATUS_OK, `host ${i}`);
  }
}

// A random prefix drawn near a few bases, so storms build deep, overlapping tries.
function stageRandomPrefix(core: CoreInstance, random: SeededRandom, bases: readonly Uint8Array[]): void {
  const address = core.views.allowedIpsAddress;
  address.set(random.pick(bases));
  const from = random.below(17);
  address.set(random.bytes(16 - from), from);
}

for (const variant of CRYPTO_WASM_VARIANTS) {
  describe(`AllowedIPs exports reject bad arguments without trapping (${variant} build)`, () => {
    const core = instantiateCore(compileCryptoWasm(variant).module);
    const f = core.functions;

    test("bad families and cidrs return STATUS_BAD_PREFIX and change nothing", () => {
      f.allowedIpsClear();
      core.views.allowedIpsAddress.fill(0);
      for (const family of [-1, 0, 1, 5, 7, 46, 0x104, 0x106, I32_MIN, I32_MAX]) {
        assert.equal(f.allowedIpsInsert(family, 0, 1), STATUS_BAD_PREFIX, `family ${family}`);
        assert.equal(f.allowedIpsRemove(family, 0), STATUS_BAD_PREFIX, `family ${family}`);
        assert.equal(f.allowedIpsLookup(family), PEER_NONE, `family ${family}`);
        assert.equal(f.allowedIpsInsert(family, 0, -1), STATUS_BAD_PREFIX, "the prefix is checked first");
      }
      for (const [family, cidr] of [[4, -1], [4, 33], [4, 128], [6, -1], [6, 129], [4, I32_MIN], [6, I32_MAX]] as const) {
        assert.equal(f.allowedIpsInsert(family, cidr, 1), STATUS_BAD_PREFIX, `${family}/${cidr}`);
        assert.equal(f.allowedIpsRemove(family, cidr), STATUS_BAD_PREFIX, `${family}/${cidr}`);
      }
      assert.equal(f.allowedIpsLookup(4), PEER_NONE);
      assert.equal(f.allowedIpsLookup(6), PEER_NONE);
      assert.equal(f.allowedIpsList(1, 0), 0);
    });

    test("bad peers return STATUS_BAD_LENGTH (or list nothing) and change nothing", () => {
      f.allowedIpsClear();
      core.views.allowedIpsAddress.fill(0);
      for (const peer of [-1, -2, MAX_PEERS, MAX_PEERS + 1, 0x10000, I32_MIN, I32_MAX]) {
        assert.equal(f.allowedIpsInsert(4, 0, peer), STATUS_BAD_LENGTH, `peer ${peer}`);
        assert.equal(f.allowedIpsInsert(6, 0, peer), STATUS_BAD_LENGTH, `peer ${peer}`);
        assert.equal(f.allowedIpsRemovePeer(peer), -STATUS_BAD_LENGTH, `peer ${peer}`);
        assert.equal(f.allowedIpsList(peer, 0), 0, `peer ${peer}`);
      }
      assert.equal(f.allowedIpsLookup(4), PEER_NONE);
      assert.equal(f.allowedIpsLookup(6), PEER_NONE);
      assert.equal(f.allowedIpsInsert(4, 0, MAX_PEERS - 1), STATUS_OK, "the last peer number is fine");
      assert.equal(f.allowedIpsLookup(4), MAX_PEERS - 1);
      assert.equal(f.allowedIpsList(MAX_PEERS - 1, -1), 0, "negative skip");
      assert.equal(f.allowedIpsList(MAX_PEERS - 1, I32_MIN), 0, "negative skip");
      assert.equal(f.allowedIpsList(MAX_PEERS - 1, I32_MAX), 0, "skip past the end");
    });

    test("removing what is not there returns STATUS_NOT_FOUND", () => {
      f.allowedIpsClear();
      stageIpv4(core, 0x0a01_0203);
      assert.equal(f.allowedIpsRemove(4, 32), STATUS_NOT_FOUND, "empty table");
      assert.equal(f.allowedIpsInsert(4, 32, 3), STATUS_OK);
      stageIpv4(core, 0x0a01_0207);
      assert.equal(f.allowedIpsInsert(4, 32, 3), STATUS_OK);
      // 10.1.2.0/29 now exists only as the glue node joining the two hosts: not a prefix.
      stageIpv4(core, 0x0a01_0200);
      assert.equal(f.allowedIpsRemove(4, 29), STATUS_NOT_FOUND, "glue node");
      assert.equal(f.allowedIpsRemove(4, 24), STATUS_NOT_FOUND, "shorter, covering");
      assert.equal(f.allowedIpsRemove(6, 32), STATUS_NOT_FOUND, "other family");
      stageIpv4(core, 0x0a01_0203);
      assert.equal(f.allowedIpsRemove(4, 32), STATUS_OK);
      assert.equal(f.allowedIpsRemove(4, 32), STATUS_NOT_FOUND, "twice");
      assert.equal(f.allowedIpsRemovePeer(3), 1);
      assert.equal(f.allowedIpsRemovePeer(3), 0);
    });

    test("a full pool refuses with STATUS_TABLE_FULL and leaves the table as it was", () => {
      f.allowedIpsClear();
      assert.equal(fillWithHosts(core, 7), CONSECUTIVE_HOSTS_CAPACITY);
      const refused = 0x0a00_0000 + CONSECUTIVE_HOSTS_CAPACITY;
      stageIpv4(core, refused);
      assert.equal(f.allowedIpsLookup(4), PEER_NONE, "the refused host is not routed");
      assert.equal(f.allowedIpsInsert(6, 0, 7), STATUS_TABLE_FULL, "even a lone new node");
      stageIpv4(core, 0x0a00_0000 + CONSECUTIVE_HOSTS_CAPACITY - 1);
      assert.equal(f.allowedIpsInsert(4, 32, 9), STATUS_OK, "moving an existing prefix needs no node");
      assert.equal(f.allowedIpsLookup(4), 9);
      stageIpv4(core, 0x0a00_0005);
      assert.equal(f.allowedIpsRemove(4, 32), STATUS_OK);
      // The removed leaf freed two nodes (itself and its glue): one prefix fits again.
      stageIpv4(core, refused);
      assert.equal(f.allowedIpsInsert(4, 32, 7), STATUS_OK);
      assert.equal(f.allowedIpsLookup(4), 7);
      stageIpv4(core, refused + 1);
      assert.equal(f.allowedIpsInsert(4, 32, 7), STATUS_TABLE_FULL);
      assert.equal(f.allowedIpsRemovePeer(7), CONSECUTIVE_HOSTS_CAPACITY - 1);
      assert.equal(f.allowedIpsRemovePeer(9), 1);
      assert.equal(fillWithHosts(core, 1), CONSECUTIVE_HOSTS_CAPACITY, "removePeer returned every node");
      f.allowedIpsClear();
      assert.equal(fillWithHosts(core, 1), CONSECUTIVE_HOSTS_CAPACITY, "clear returned every node");
    });

    test("an insert needing two nodes when one is free is refused whole", () => {
      f.allowedIpsClear();
      assert.equal(fillWithHosts(core, 2), CONSECUTIVE_HOSTS_CAPACITY);
      stageIpv4(core, 0x0a00_0000);
      assert.equal(f.allowedIpsRemove(4, 32), STATUS_OK, "frees a leaf and its glue node");
      // 10.0.0.0/8 covers everything: it sits above the root and takes one node.
      assert.equal(f.allowedIpsInsert(4, 8, 3), STATUS_OK);
      stageIpv4(core, 0x0b00_0000);
      assert.equal(f.allowedIpsInsert(4, 8, 3), STATUS_TABLE_FULL, "11.0.0.0/8 needs a leaf and a glue node");
      assert.equal(f.allowedIpsLookup(4), PEER_NONE);
      stageIpv4(core, 0x0a00_0000);
      assert.equal(f.allowedIpsLookup(4), 3, "10.0.0.0 falls back to the /8");
      assert.equal(f.allowedIpsList(3, 0), 1);
    });

    test("random storms never trap, keep statuses right, and never leak a node", () => {
      const random = createSeededRandom(0xa110_7ed);
      const bases = Array.from({ length: 6 }, () => random.bytes(16));
      const present = new Map<string, number>();
      // Prefixes inserted so far, to remove again (random ones would almost never be there).
      const inserted: { family: number; cidr: number; address: Uint8Array }[] = [];
      let removals = 0;
      const keyOf = (family: number, cidr: number): string => {
        const bytes = core.views.allowedIpsAddress.subarray(0, family === 4 ? 4 : 16);
        let bits = "";
        for (const byte of bytes) bits += byte.toString(2).padStart(8, "0");
        return `${family}/${bits.slice(0, cidr)}`;
      };
      f.allowedIpsClear();
      const families = [4, 6, 4, 6, 0, 5, -1];
      for (let round = 0; round < 30_000; round++) {
        let family = random.pick(families);
        let cidr = random.below(135) - 3;
        const peer = random.below(MAX_PEERS + 6) - 3;
        stageRandomPrefix(core, random, bases);
        const action = random.below(20);
        if (action >= 11 && action < 18 && inserted.length > 0 && random.below(2) === 0) {
          const again = random.pick(inserted);
          ({ family, cidr } = again);
          core.views.allowedIpsAddress.set(again.address);
        }
        const validPrefix = (family === 4 && cidr >= 0 && cidr <= 32) || (family === 6 && cidr >= 0 && cidr <= 128);
        if (action < 11) {
          const status = f.allowedIpsInsert(family, cidr, peer);
          if (!validPrefix) assert.equal(status, STATUS_BAD_PREFIX);
          else if (peer < 0 || peer >= MAX_PEERS) assert.equal(status, STATUS_BAD_LENGTH);
          else if (status !== STATUS_TABLE_FULL) {
            assert.equal(status, STATUS_OK);
            present.set(keyOf(family, cidr), peer);
            inserted.push({ family, cidr, address: core.views.allowedIpsAddress.slice() });
          }
        } else if (action < 18) {
          const status = f.allowedIpsRemove(family, cidr);
          if (!validPrefix) assert.equal(status, STATUS_BAD_PREFIX);
          else assert.equal(status, present.delete(keyOf(family, cidr)) ? STATUS_OK : STATUS_NOT_FOUND);
          if (status === STATUS_OK) removals++;
        } else if (action < 19) {
          f.allowedIpsLookup(family);
          f.allowedIpsList(peer, random.below(4));
        } else {
          const removed = f.allowedIpsRemovePeer(peer);
          if (peer < 0 || peer >= MAX_PEERS) assert.equal(removed, -STATUS_BAD_LENGTH);
          else {
            let expected = 0;
            for (const [key, owner] of present) if (owner === peer && present.delete(key)) expected++;
            assert.equal(removed, expected, `removePeer(${peer})`);
          }
        }
      }
      assert.ok(present.size > 1000 && removals > 1000, `a real storm: ${present.size} left, ${removals} removed`);
      // Every prefix is still listed once, then goes: the pool must be whole again.
      let listed = 0;
      for (let peer = 0; peer < MAX_PEERS; peer++) {
        for (let skip = 0; ; skip += ALLOWED_IPS_LIST_MAX) {
          const n = f.allowedIpsList(peer, skip);
          listed += n;
          if (n < ALLOWED_IPS_LIST_MAX) break;
        }
      }
      assert.equal(listed, present.size);
      let removed = 0;
      for (let peer = 0; peer < MAX_PEERS; peer++) removed += f.allowedIpsRemovePeer(peer);
      assert.equal(removed, present.size);
      assert.equal(fillWithHosts(core, 0), CONSECUTIVE_HOSTS_CAPACITY);
    });

    test("storms that run the pool full recover it completely", () => {
      const random = createSeededRandom(0xf011);
      const bases = Array.from({ length: 3 }, () => random.bytes(16));
      f.allowedIpsClear();
      for (let cycle = 0; cycle < 3; cycle++) {
        let full = 0;
        for (let i = 0; full < 50; i++) {
          stageRandomPrefix(core, random, bases);
          const family = random.below(2) === 0 ? 4 : 6;
          const status = f.allowedIpsInsert(family, family === 4 ? 16 + random.below(17) : 64 + random.below(65), cycle);
          if (status === STATUS_TABLE_FULL) full++;
          else assert.equal(status, STATUS_OK);
        }
        assert.ok(f.allowedIpsRemovePeer(cycle) > ALLOWED_IPS_MAX_NODES / 2 - 1, "the pool held at least its guarantee");
        assert.equal(f.allowedIpsList(cycle, 0), 0);
      }
      assert.equal(fillWithHosts(core, 0), CONSECUTIVE_HOSTS_CAPACITY);
    });

    test("list writes only whole entries and never more than a page", () => {
      f.allowedIpsClear();
      for (let i = 0; i < ALLOWED_IPS_LIST_MAX + 10; i++) {
        stageIpv4(core, 0xc0a8_0000 + i * 4);
        assert.equal(f.allowedIpsInsert(4, 30, 2), STATUS_OK);
      }
      const entries = core.views.allowedIpsEntries;
      entries.fill(0xee);
      assert.equal(f.allowedIpsList(2, 0), ALLOWED_IPS_LIST_MAX);
      assert.equal(f.allowedIpsList(2, ALLOWED_IPS_LIST_MAX), 10);
      // The second page overwrote 10 entries; the rest still hold the first page's.
      const last = entries.subarray((ALLOWED_IPS_LIST_MAX - 1) * ALLOWED_IPS_ENTRY_BYTES);
      assert.deepEqual([...last.subarray(0, 8)], [4, 30, 0, 0, 192, 168, 3, 252]);
      assert.ok(last.subarray(8).every((b) => b === 0), "IPv4 address zero-padded to 16 bytes");
    });
  });
}
