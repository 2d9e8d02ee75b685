// The netmap log (netmap-log.ts), pure: every answer, applied to what the node holds, gives the
// node exactly the mesh as it is now (random changes, observers at random versions); a change
// is composed once for all nodes at the same version; a version older than the log (or newer
// than the coordinator) gets a full map; the log stays bounded.

import assert from "node:assert/strict";
import { test } from "node:test";
import { createNetmapLog } from "../../src/mesh/netmap-log.js";
import { applyNetmapUpdate, type Netmap, type NetmapNode, type NetmapUpdate } from "../../src/mesh/netmap.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

const key = (n: number): string => Buffer.alloc(32, n % 256).toString("base64").replace(/^.{4}/, String(n).padStart(4, "0"));
const node = (n: number, revision = 0): NetmapNode => ({
  nodeKey: key(n), name: `n${n}`, ipv4: `100.64.${n >> 8}.${n & 255}`, ipv6: `fd00::${n.toString(16)}`,
  endpoints: [`192.0.2.${n & 255}:${41641 + revision}`], routes: [], online: revision % 2 === 0, keyExpiresAt: null, nat: null, relayPort: null,
});

// An answer's pieces, put together and parsed.
const parse = (pieces: readonly Uint8Array[] | null): NetmapUpdate => JSON.parse(Buffer.concat(pieces!).toString("utf8")) as NetmapUpdate;
const sortPeers = (peers: readonly NetmapNode[]): NetmapNode[] => [...peers].sort((a, b) => a.nodeKey.localeCompare(b.nodeKey));

test("answers are what JSON.stringify of the update would write, and rebuild the current mesh from any version", () => {
  const random = createSeededRandom(11);
  const pick = (n: number): number => random.bytes(1)[0]! % n;
  const mesh = new Map<number, NetmapNode>();
  for (let n = 1; n <= 30; n++) mesh.set(n, node(n));
  const log = createNetmapLog(5, [...mesh.values()], { maxVersions: 20, minKeys: 0 });
  // Observers: node number → the map it holds (null: none yet).
  const held = new Map<number, Netmap | null>([[1, null], [2, null], [3, null], [4, null]]);
  let version = 5;
  let nextNode = 31;
  for (let round = 0; round < 300; round++) {
    const upsert: NetmapNode[] = [];
    const remove: string[] = [];
    for (let i = 0, changes = 1 + pick(4); i < changes; i++) {
      const action = pick(3);
      const candidates = [...mesh.keys()].filter((n) => !held.has(n));
      if (action === 0 || candidates.length === 0) {
        mesh.set(nextNode, node(nextNode));
        upsert.push(mesh.get(nextNode++)!);
      } else if (action === 1) {
        const n = candidates[pick(candidates.length)]!;
        mesh.delete(n);
        remove.push(key(n));
      } else {
        const n = [...mesh.keys()][pick(mesh.size)]!;
        mesh.set(n, node(n, round + 1)); // observers change too: their `self` then moves
        upsert.push(mesh.get(n)!);
      }
    }
    const removedNow = new Set(remove);
    log.publish(++version, upsert.filter((peer) => !removedNow.has(peer.nodeKey)), remove);
    for (const [observer, map] of held) {
      if (pick(3) === 0) continue; // this one stays behind (it may fall off the log's horizon)
      const pieces = log.answer(key(observer), map?.version ?? 0);
      const update = parse(pieces);
      assert.equal(Buffer.concat(pieces!).toString("utf8"), JSON.stringify(update), "what JSON.stringify writes");
      const rebuilt = applyNetmapUpdate(map, update);
      assert.ok(rebuilt !== null, `round ${round}: an update that applies to node ${observer}'s map`);
      assert.equal(rebuilt.version, version);
      assert.deepEqual(rebuilt.self, mesh.get(observer));
      assert.deepEqual(sortPeers(rebuilt.peers), sortPeers([...mesh.values()].filter((peer) => peer.nodeKey !== key(observer))));
      held.set(observer, rebuilt);
    }
  }
  assert.ok(log.stats().versions <= 20);
});

test("a change is composed once, whatever the number of nodes waiting at the version before it", () => {
  const nodes = Array.from({ length: 500 }, (_, i) => node(i + 1));
  const log = createNetmapLog(10, nodes);
  log.publish(11, [node(7, 1)], []);
  const before = log.stats();
  for (const peer of nodes) {
    const update = parse(log.answer(peer.nodeKey, 10));
    assert.equal(update.kind, "delta");
    if (update.kind !== "delta") continue;
    if (peer.nodeKey === key(7)) {
      assert.deepEqual(update.self, node(7, 1), "the changed node hears of itself as self");
      assert.deepEqual(update.upsert, []);
    } else {
      assert.equal(update.self, null);
      assert.deepEqual(update.upsert, [node(7, 1)]);
    }
  }
  assert.equal(log.stats().deltasComposed - before.deltasComposed, 1);
  assert.equal(log.stats().fullMapsComposed, before.fullMapsComposed, "no full map was built for it");
});

test("a version older than the log's horizon, or newer than the coordinator's, gets a full map", () => {
  const log = createNetmapLog(100, [node(1), node(2), node(3)], { maxVersions: 4, minKeys: 0 });
  for (let v = 101; v <= 110; v++) log.publish(v, [node(3, v)], []);
  assert.equal(log.horizon, 106);
  assert.equal(parse(log.answer(key(1), 105)).kind, "full", "older than the log");
  assert.equal(parse(log.answer(key(1), 106)).kind, "delta", "at the horizon");
  assert.equal(parse(log.answer(key(1), 0)).kind, "full");
  assert.equal(parse(log.answer(key(1), 111)).kind, "full", "from another coordinator state");
  const idle = parse(log.answer(key(1), 110));
  assert.deepEqual(idle, { kind: "delta", version: 110, baseVersion: 110, self: null, upsert: [], remove: [] });
  assert.equal(log.answer("nobody", 0), null, "a node not in the mesh gets no answer");
  const full = parse(log.answer(key(2), 0));
  assert.ok(full.kind === "full");
  if (full.kind === "full") assert.deepEqual(full.peers.map((peer) => peer.name), ["n1", "n3"], "everyone but itself");
});

test("the log stays bounded: versions, and keys in proportion to the mesh", () => {
  const log = createNetmapLog(0, Array.from({ length: 100 }, (_, i) => node(i + 1)), { maxVersions: 1024, minKeys: 50 });
  for (let v = 1; v <= 5000; v++) log.publish(v, [node((v % 100) + 1, v)], []);
  assert.ok(log.stats().keys <= 200, `keys ${log.stats().keys}`);
  for (let v = 5001; v <= 5100; v++) log.publish(v, Array.from({ length: 100 }, (_, i) => node(i + 1, v)), []);
  assert.ok(log.stats().keys <= 200);
  assert.ok(log.stats().versions <= 2);
  assert.throws(() => log.publish(5100, [], []), /does not follow/);
});
