// The node store: settings and the one saved netmap, persisted across reopening.

import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, test } from "node:test";
import { openCoordinatorStore } from "../../src/store/coordinator-store.js";
import { StoreError } from "../../src/store/errors.js";
import { openNodeStore } from "../../src/store/node-store.js";
import { scratchDirectory } from "./scratch-directory.js";

const T0 = Date.UTC(2025, 0, 1);

describe("node store", () => {
  test("settings: get, set, overwrite, delete, persist", (t) => {
    const path = join(scratchDirectory(t), "node.db");
    const store = openNodeStore(path);
    assert.equal(store.path, path);
    assert.equal(store.getSetting("coordinator"), null);
    store.setSetting("coordinator", "https://a.example");
    store.setSetting("coordinator", "https://b.example");
    store.setSetting("advertise-routes", "192.168.1.0/24");
    store.deleteSetting("advertise-routes");
    store.deleteSetting("never-set");
    assert.equal(store.getSetting("coordinator"), "https://b.example");
    assert.equal(store.getSetting("advertise-routes"), null);
    store.close();
    const reopened = openNodeStore(path);
    t.after(() => reopened.close());
    assert.equal(reopened.getSetting("coordinator"), "https://b.example");
    assert.equal(reopened.getSetting("advertise-routes"), null);
  });

  test("netmap: none at first, then the last one saved, across reopening", (t) => {
    const path = join(scratchDirectory(t), "node.db");
    const store = openNodeStore(path);
    assert.equal(store.loadNetmap(), null);
    store.saveNetmap(3, '{"peers":[]}', T0);
    assert.deepEqual(store.loadNetmap(), { version: 3, body: '{"peers":[]}', savedAt: T0 });
    store.saveNetmap(4, '{"peers":[1]}', T0 + 1000);
    store.close();
    const reopened = openNodeStore(path);
    t.after(() => reopened.close());
    assert.deepEqual(reopened.loadNetmap(), { version: 4, body: '{"peers":[1]}', savedAt: T0 + 1000 });
  });

  test("a coordinator's database is not mistaken for a node's", (t) => {
    const path = join(scratchDirectory(t), "coordinator.db");
    openCoordinatorStore(path).close();
    assert.throws(() => openNodeStore(path), (error: unknown) => {
      assert.ok(error instanceof StoreError);
      assert.match(error.message, /coordinator\.db: does not hold a meshgate node database \(it holds a meshgate coordinator database\): check the path/);
      return true;
    });
  });
});
