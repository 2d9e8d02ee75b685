// The coordinator store, method by method, on a real SQLite file in a temporary directory.

import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test, type TestContext } from "node:test";
import { openCoordinatorStore, type AuthKeyRecord, type CoordinatorStore, type NewNode } from "../../src/store/coordinator-store.js";
import { StoreConflictError, StoreError } from "../../src/store/errors.js";
import { openNodeStore } from "../../src/store/node-store.js";
import { scratchDirectory } from "./scratch-directory.js";

const T0 = Date.UTC(2025, 0, 1);

function openScratch(t: TestContext): CoordinatorStore {
  const store = openCoordinatorStore(join(scratchDirectory(t), "coordinator.db"));
  t.after(() => store.close());
  return store;
}

function authKey(userId: number, id: string, createdAt: number): AuthKeyRecord {
  return {
    id, userId, secretHash: Uint8Array.from({ length: 32 }, (_, i) => i ^ id.length), reusable: true, ephemeral: false,
    expiresAt: createdAt + 86_400_000, revokedAt: null, usedCount: 0, createdAt, description: `key ${id}`,
  };
}

function newNode(userId: number, n: number, authKeyId: string | null = null): NewNode {
  return {
    nodeKey: `key${n}`.padEnd(43, "A") + "=", name: `node-${n}`, hostname: `host${n}`, userId,
    ipv4: `100.64.0.${n}`, ipv6: `fd7a:115c:a1e0::${n}`, keyExpiresAt: T0 + 180 * 86_400_000, ephemeral: n % 2 === 0,
    authKeyId, endpoints: [`192.0.2.${n}:41641`, `[2001:db8::${n}]:41641`], listenPort: 41641, nat: null, relayPort: null, createdAt: T0 + n,
  };
}

describe("coordinator store", () => {
  test("meta and the netmap version start empty and persist across reopening", (t) => {
    const path = join(scratchDirectory(t), "coordinator.db");
    const store = openCoordinatorStore(path);
    assert.equal(store.path, path);
    assert.equal(store.netmapVersion(), 0);
    assert.equal(store.getMeta("coordinator.url"), null);
    store.setMeta("coordinator.url", "https://a.example");
    store.setMeta("coordinator.url", "https://b.example");
    assert.equal(store.bumpNetmapVersion(), 1);
    assert.equal(store.bumpNetmapVersion(), 2);
    assert.equal(store.netmapVersion(), 2);
    store.close();
    const reopened = openCoordinatorStore(path);
    t.after(() => reopened.close());
    assert.equal(reopened.getMeta("coordinator.url"), "https://b.example");
    assert.equal(reopened.netmapVersion(), 2);
    assert.equal(reopened.bumpNetmapVersion(), 3);
    assert.equal(reopened.bumpNetmapVersion(10_000), 10_003, "a block of versions at once");
    assert.throws(() => reopened.bumpNetmapVersion(0), /positive integer/);
    assert.equal(reopened.netmapVersion(), 10_003);
  });

  test("users: ensure creates once, then returns the same user", (t) => {
    const store = openScratch(t);
    const alice = store.users.ensure("alice", T0);
    assert.deepEqual(alice, { id: alice.id, name: "alice", createdAt: T0 });
    assert.deepEqual(store.users.ensure("alice", T0 + 999), alice);
    const bob = store.users.ensure("bob", T0 + 1);
    assert.notEqual(bob.id, alice.id);
    assert.deepEqual(store.users.byId(bob.id), bob);
    assert.equal(store.users.byId(bob.id + 100), null);
    assert.deepEqual(store.users.list(), [alice, bob]);
  });

  test("auth keys: insert, read back, newest first, use count, revoke once", (t) => {
    const store = openScratch(t);
    const user = store.users.ensure("alice", T0);
    const older = authKey(user.id, "k0000001", T0);
    const newer = authKey(user.id, "k0000002", T0 + 5);
    const sameMillisecond = { ...authKey(user.id, "k00003", T0 + 5), reusable: false, ephemeral: true, expiresAt: null };
    store.authKeys.insert(older);
    store.authKeys.insert(newer);
    store.authKeys.insert(sameMillisecond);
    assert.deepEqual(store.authKeys.byId("k0000001"), older);
    assert.deepEqual(store.authKeys.byId("k00003"), sameMillisecond);
    assert.ok(!Buffer.isBuffer(store.authKeys.byId("k0000001")?.secretHash), "a plain Uint8Array, not a pooled Buffer");
    assert.equal(store.authKeys.byId("nope"), null);
    assert.deepEqual(store.authKeys.list().map((key) => key.id), ["k00003", "k0000002", "k0000001"]);

    store.authKeys.recordUse("k0000001");
    store.authKeys.recordUse("k0000001");
    store.authKeys.recordUse("unknown");
    assert.equal(store.authKeys.byId("k0000001")?.usedCount, 2);
    assert.equal(store.authKeys.byId("k0000002")?.usedCount, 0);

    assert.equal(store.authKeys.revoke("k0000002", T0 + 10), true);
    assert.equal(store.authKeys.revoke("k0000002", T0 + 20), false);
    assert.equal(store.authKeys.byId("k0000002")?.revokedAt, T0 + 10);
    assert.equal(store.authKeys.revoke("unknown", T0 + 30), false);
  });

  test("auth keys: a duplicate id, a bad hash or an unknown user is refused", (t) => {
    const store = openScratch(t);
    const user = store.users.ensure("alice", T0);
    store.authKeys.insert(authKey(user.id, "k1", T0));
    assert.throws(() => store.authKeys.insert(authKey(user.id, "k1", T0 + 1)), (error: unknown) => {
      assert.ok(error instanceof StoreConflictError);
      assert.equal(error.table, "auth_keys");
      assert.equal(error.field, "id");
      return true;
    });
    assert.throws(() => store.authKeys.insert({ ...authKey(user.id, "k2", T0), secretHash: new Uint8Array(31) }), /CHECK constraint failed/);
    assert.throws(() => store.authKeys.insert(authKey(user.id + 1, "k3", T0)), /FOREIGN KEY constraint failed/);
    assert.deepEqual(store.authKeys.list().map((key) => key.createdAt), [T0]);
  });

  test("nodes: insert returns the stored record; lookups by id, key and name", (t) => {
    const store = openScratch(t);
    const user = store.users.ensure("alice", T0);
    store.authKeys.insert(authKey(user.id, "k1", T0));
    const input = newNode(user.id, 1, "k1");
    const node = store.nodes.insert(input);
    assert.deepEqual(node, { ...input, id: node.id, lastSeenAt: null });
    assert.deepEqual(store.nodes.byId(node.id), node);
    assert.deepEqual(store.nodes.byKey(input.nodeKey), node);
    assert.deepEqual(store.nodes.byName("node-1"), node);
    assert.equal(store.nodes.byId(node.id + 1), null);
    assert.equal(store.nodes.byKey("x"), null);
    assert.equal(store.nodes.byName("node-2"), null);
    const second = store.nodes.insert({ ...newNode(user.id, 2), endpoints: [], listenPort: null, keyExpiresAt: null });
    assert.deepEqual(store.nodes.byId(second.id)?.endpoints, []);
    assert.equal(store.nodes.byId(second.id)?.listenPort, null);
    assert.deepEqual(store.nodes.list().map((n) => n.id), [node.id, second.id]);
  });

  test("nodes: a duplicate nodeKey, name, ipv4 or ipv6 is a conflict naming the field", (t) => {
    const store = openScratch(t);
    const user = store.users.ensure("alice", T0);
    const first = store.nodes.insert(newNode(user.id, 1));
    const fresh = newNode(user.id, 2);
    for (const field of ["nodeKey", "name", "ipv4", "ipv6"] as const) {
      const duplicate = { ...fresh, [field]: first[field] };
      assert.throws(() => store.nodes.insert(duplicate), (error: unknown) => {
        assert.ok(error instanceof StoreConflictError, `${field}: ${String(error)}`);
        assert.ok(error instanceof StoreError);
        assert.equal(error.field, field);
        assert.equal(error.table, "nodes");
        assert.ok(error.message.includes(first[field]), error.message);
        return true;
      });
    }
    assert.equal(store.nodes.list().length, 1);
    assert.equal(store.nodes.insert(fresh).name, "node-2");
  });

  test("nodes: report, touch, key expiry, names and addresses in use", (t) => {
    const store = openScratch(t);
    const user = store.users.ensure("alice", T0);
    const one = store.nodes.insert(newNode(user.id, 1));
    const two = store.nodes.insert(newNode(user.id, 2));
    const nat = { udp: true, mappingVariesByDestination: false, portMapping: "pcp" };
    store.nodes.updateReport(one.id, { endpoints: ["198.51.100.7:5000"], listenPort: null, hostname: "renamed", nat, relayPort: 3479 });
    store.nodes.touch(one.id, T0 + 60_000);
    store.nodes.setKeyExpiry(one.id, null);
    store.nodes.setKeyExpiry(two.id, T0 + 1);
    assert.deepEqual(store.nodes.byId(one.id), {
      ...one, endpoints: ["198.51.100.7:5000"], listenPort: null, hostname: "renamed", nat, relayPort: 3479, lastSeenAt: T0 + 60_000, keyExpiresAt: null,
    });
    assert.deepEqual(store.nodes.byId(two.id), { ...two, keyExpiresAt: T0 + 1 });
    assert.equal(store.nodes.nameTaken("node-1"), true);
    assert.equal(store.nodes.nameTaken("node-2"), true);
    assert.equal(store.nodes.nameTaken("node-3"), false);
    assert.equal(store.nodes.ipv4Taken("100.64.0.1"), true);
    assert.equal(store.nodes.ipv4Taken("100.64.0.3"), false);
  });

  test("nodes: remove takes the routes with it and never reuses the id", (t) => {
    const store = openScratch(t);
    const user = store.users.ensure("alice", T0);
    const one = store.nodes.insert(newNode(user.id, 1));
    const two = store.nodes.insert(newNode(user.id, 2));
    store.routes.set(two.id, "192.168.1.0/24", true, true);
    store.routes.set(two.id, "10.0.0.0/8", true, false);
    store.routes.set(one.id, "172.16.0.0/12", true, true);
    assert.equal(store.nodes.remove(two.id), true);
    assert.equal(store.nodes.remove(two.id), false);
    assert.deepEqual(store.routes.forNode(two.id), []);
    assert.deepEqual(store.routes.approved(), [{ nodeId: one.id, prefix: "172.16.0.0/12", advertised: true, approved: true }]);
    assert.deepEqual([store.nodes.nameTaken("node-1"), store.nodes.nameTaken("node-2")], [true, false]);
    assert.equal(store.nodes.ipv4Taken("100.64.0.2"), false, "a removed node's address is free again");
    const three = store.nodes.insert(newNode(user.id, 3));
    assert.ok(three.id > two.id, `new id ${three.id} after removed ${two.id}`);
  });

  test("routes: upsert, per node by prefix, approved = advertised and approved, remove", (t) => {
    const store = openScratch(t);
    const user = store.users.ensure("alice", T0);
    const one = store.nodes.insert(newNode(user.id, 1));
    const two = store.nodes.insert(newNode(user.id, 2));
    store.routes.set(one.id, "192.168.1.0/24", true, false);
    store.routes.set(one.id, "10.1.0.0/16", true, true);
    store.routes.set(one.id, "fd00::/64", false, true);
    store.routes.set(two.id, "10.2.0.0/16", true, true);
    store.routes.set(one.id, "192.168.1.0/24", true, true);
    assert.deepEqual(store.routes.forNode(one.id), [
      { nodeId: one.id, prefix: "10.1.0.0/16", advertised: true, approved: true },
      { nodeId: one.id, prefix: "192.168.1.0/24", advertised: true, approved: true },
      { nodeId: one.id, prefix: "fd00::/64", advertised: false, approved: true },
    ]);
    assert.deepEqual(store.routes.approved().map((r) => `${r.nodeId} ${r.prefix}`), [
      `${one.id} 10.1.0.0/16`, `${one.id} 192.168.1.0/24`, `${two.id} 10.2.0.0/16`,
    ]);
    assert.deepEqual(store.routes.list().map((r) => `${r.nodeId} ${r.prefix} ${r.advertised} ${r.approved}`), [
      `${one.id} 10.1.0.0/16 true true`, `${one.id} 192.168.1.0/24 true true`, `${one.id} fd00::/64 false true`, `${two.id} 10.2.0.0/16 true true`,
    ]);
    assert.equal(store.routes.remove(one.id, "10.1.0.0/16"), true);
    assert.equal(store.routes.remove(one.id, "10.1.0.0/16"), false);
    assert.equal(store.routes.forNode(one.id).length, 2);
    assert.throws(() => store.routes.set(two.id + 10, "10.9.0.0/16", true, true), /FOREIGN KEY constraint failed/);
  });

  test("audit: recent is newest first and bounded", (t) => {
    const store = openScratch(t);
    for (let i = 1; i <= 5; i++) store.audit.append(T0 + i, "admin", `action ${i}`, `detail ${i}`);
    const recent = store.audit.recent(3);
    assert.deepEqual(recent.map((entry) => entry.action), ["action 5", "action 4", "action 3"]);
    assert.deepEqual(recent[0], { id: recent[0]!.id, at: T0 + 5, actor: "admin", action: "action 5", detail: "detail 5" });
    assert.equal(store.audit.recent(10).length, 5);
    assert.deepEqual(store.audit.recent(0), []);
  });

  test("transaction: commits together, rolls back together, nests, returns the value", (t) => {
    const store = openScratch(t);
    const user = store.users.ensure("alice", T0);
    assert.throws(() => store.transaction(() => {
      store.nodes.insert(newNode(user.id, 1));
      store.bumpNetmapVersion();
      throw new Error("changed my mind");
    }), /changed my mind/);
    assert.deepEqual(store.nodes.list(), []);
    assert.equal(store.netmapVersion(), 0);

    const id = store.transaction(() => {
      const node = store.nodes.insert(newNode(user.id, 1));
      try {
        store.transaction(() => {
          store.routes.set(node.id, "10.0.0.0/8", true, true);
          throw new Error("inner only");
        });
      } catch {
        // The savepoint is rolled back; the outer transaction goes on.
      }
      store.bumpNetmapVersion();
      return node.id;
    });
    assert.deepEqual(store.nodes.list().map((n) => n.id), [id]);
    assert.deepEqual(store.routes.forNode(id), []);
    assert.equal(store.netmapVersion(), 1);
  });

  test("a node's database is not mistaken for a coordinator's", (t) => {
    const path = join(scratchDirectory(t), "node.db");
    openNodeStore(path).close();
    assert.throws(() => openCoordinatorStore(path), (error: unknown) => {
      assert.ok(error instanceof StoreError);
      assert.match(error.message, /node\.db: does not hold a meshgate coordinator database \(it holds a meshgate node database\): check the path/);
      return true;
    });
  });

  test("a closed store refuses further use", (t) => {
    const store = openCoordinatorStore(join(scratchDirectory(t), "coordinator.db"));
    store.close();
    assert.throws(() => store.netmapVersion(), /not open/);
  });
});
