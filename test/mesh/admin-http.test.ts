// The admin API (keys, nodes) through app.request(): bad input is a 4xx with the reason.

import assert from "node:assert/strict";
import { test } from "node:test";
import { CoordinatorFixture } from "./coordinator-fixture.js";

const json = (body: unknown) => ({ method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });

test("keys: create, list, revoke; bad fields and unknown keys are refused with reasons", async () => {
  const f = new CoordinatorFixture();
  try {
    const created = await f.admin.request("/v1/keys", json({ reusable: true, expiresInSeconds: 3600, description: "laptops" }));
    assert.equal(created.status, 201);
    const body = (await created.json()) as { key: string; info: { id: string; reusable: boolean; usable: boolean } };
    assert.match(body.key, /^mgauth1-/);
    assert.equal(body.info.reusable, true);
    const listed = (await (await f.admin.request("/v1/keys")).json()) as { keys: { id: string }[] };
    assert.deepEqual(listed.keys.map((key) => key.id), [body.info.id]);
    assert.equal(JSON.stringify(listed).includes(body.key.split("-").at(-1)!), false, "the secret is never listed");
    const cases: [unknown, RegExp][] = [
      [{ expiresInSeconds: -5 }, /expiresInSeconds/],
      [{ reusable: "yes" }, /reusable must be true or false/],
      [{ user: "../etc" }, /user must be/],
      [{ description: "x".repeat(300) }, /description/],
      [[1, 2], /JSON object/],
    ];
    for (const [payload, reason] of cases) {
      const response = await f.admin.request("/v1/keys", json(payload));
      assert.equal(response.status, 400, JSON.stringify(payload));
      assert.match(((await response.json()) as { message: string }).message, reason);
    }
    const notJson = await f.admin.request("/v1/keys", { method: "POST", body: "{", headers: { "content-type": "application/json" } });
    assert.equal(notJson.status, 400);
    const huge = await f.admin.request("/v1/keys", json({ description: "x".repeat(20_000) }));
    assert.equal(huge.status, 413);
    assert.equal((await f.admin.request(`/v1/keys/${body.info.id}`, { method: "DELETE" })).status, 200);
    assert.equal((await f.admin.request(`/v1/keys/${body.info.id}`, { method: "DELETE" })).status, 400, "already revoked");
    assert.equal((await f.admin.request("/v1/nodes/nobody", { method: "DELETE" })).status, 400);
    assert.equal((await f.admin.request("/v1/nothing")).status, 404);
  } finally {
    f.close();
  }
});
