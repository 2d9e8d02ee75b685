// The admin page gets updates only where this process runs from the slot `current` points at.

import assert from "node:assert/strict";
import { mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { applianceUpdates } from "../../src/daemon/appliance-admin.js";
import { tempDir, writeSlot } from "../appliance/bundle-fixtures.js";

test("updates exist where the app is current's (through the symlink), not in another slot or a checkout", async () => {
  const temp = tempDir();
  try {
    const root = join(temp.path, "opt");
    const state = join(temp.path, "state");
    for (const slot of ["a", "b"]) writeSlot(join(root, "slots", slot), { version: slot === "a" ? "0.1.0" : "0.0.9" });
    symlinkSync("slots/a", join(root, "current"));
    mkdirSync(state);
    const now = () => Date.UTC(2026, 0, 15);
    assert.equal(await applianceUpdates({ rootDir: root, stateDir: state, appDir: join(root, "slots", "b", "app"), now }), null);
    assert.equal(await applianceUpdates({ rootDir: join(temp.path, "nowhere"), stateDir: state, appDir: join(root, "slots", "a", "app"), now }), null);
    assert.equal(await applianceUpdates({ rootDir: root, stateDir: state, appDir: process.cwd(), now }), null);
    const updates = await applianceUpdates({ rootDir: root, stateDir: state, appDir: join(root, "current", "app/"), now });
    assert.notEqual(updates, null);
    assert.deepEqual(await updates!.status(), { current: { slot: "a", version: "0.1.0" }, other: { slot: "b", version: "0.0.9" }, pending: null, incoming: false, lastResult: null });
    await updates!.stage({ name: "u.tar.gz", bytes: new Uint8Array([0x1f, 0x8b, 8, 0]) });
    assert.deepEqual([...readFileSync(join(state, "update", "incoming.tar.gz"))], [0x1f, 0x8b, 8, 0]);
    assert.equal((await updates!.status()).incoming, true);
  } finally {
    temp.remove();
  }
});
