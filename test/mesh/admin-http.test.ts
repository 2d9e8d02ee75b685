// The admin API (keys, nodes, routes) through app.request(): bad input is a 4xx with the reason.

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAuthKey } from "../../src/mesh/auth-key.js";
import { CoordinatorFixture, report } from "./coordinator-fixture.js";

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
    // The whole secret (base64url has "-" in its alphabet: the text after the last "-" may be short).
    const secret = Buffer.from(parseAuthKey(body.key)!.secret).toString("base64url");
    assert.equal(JSON.stringify(listed).includes(secret), false, "the secret is never listed");
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

test("routes: list, approve and reject over HTTP; bad bodies and refusals are a 400 with the reason", async () => {
  const f = new CoordinatorFixture();
  try {
    await f.client().call({ op: "enroll", authKey: f.key(), ...report, hostname: "gw", routes: ["192.168.1.0/24", "0.0.0.0/0", "::/0"] });
    const approved = await f.admin.request("/v1/routes/approve", json({ node: "gw", routes: ["192.168.1.0/24"] }));
    assert.equal(approved.status, 200);
    const body = (await approved.json()) as { node: string; changed: string[]; unchanged: string[]; routes: { prefix: string; primary: boolean }[] };
    assert.deepEqual([body.node, body.changed, body.unchanged], ["gw", ["192.168.1.0/24"], []]);
    assert.deepEqual(body.routes.filter((route) => route.primary).map((route) => route.prefix), ["192.168.1.0/24"]);
    const exit = (await (await f.admin.request("/v1/routes/approve", json({ node: "gw", routes: "exit-node" }))).json()) as { changed: string[] };
    assert.deepEqual(exit.changed, ["0.0.0.0/0", "::/0"]);
    const rejected = (await (await f.admin.request("/v1/routes/reject", json({ node: "gw", routes: "all" }))).json()) as { changed: string[] };
    assert.deepEqual(rejected.changed, ["0.0.0.0/0", "192.168.1.0/24", "::/0"]);
    const listed = (await (await f.admin.request("/v1/routes")).json()) as { routes: { node: string; prefix: string; advertised: boolean; approved: boolean; primary: boolean; online: boolean }[] };
    assert.deepEqual(listed.routes.map((route) => [route.node, route.prefix, route.advertised, route.approved, route.primary, route.online]), [
      ["gw", "0.0.0.0/0", true, false, false, true], ["gw", "192.168.1.0/24", true, false, false, true], ["gw", "::/0", true, false, false, true],
    ]);
    const cases: [string, unknown, RegExp][] = [
      ["/v1/routes/approve", { routes: "all" }, /node must be a node's name or id/],
      ["/v1/routes/approve", { node: "gw" }, /routes must be a list of 1 to 66 CIDR prefixes, "exit-node" or "all"/],
      ["/v1/routes/approve", { node: "gw", routes: [] }, /routes must be a list/],
      ["/v1/routes/approve", { node: "gw", routes: "everything" }, /routes must be a list/],
      ["/v1/routes/reject", { node: "gw", routes: [42] }, /routes must be a list/],
      ["/v1/routes/reject", [1], /JSON object/],
      ["/v1/routes/approve", { node: "gw", routes: ["10.9.0.0/24"] }, /^gw does not advertise 10\.9\.0\.0\/24 \(it advertises: 0\.0\.0\.0\/0, 192\.168\.1\.0\/24, ::\/0\)$/],
      ["/v1/routes/approve", { node: "gw", routes: ["10.9.0.1/24"] }, /host bits set/],
      ["/v1/routes/reject", { node: "ghost", routes: "all" }, /no node "ghost"/],
    ];
    for (const [path, payload, reason] of cases) {
      const response = await f.admin.request(path, json(payload));
      assert.equal(response.status, 400, `${path} ${JSON.stringify(payload)}`);
      assert.match(((await response.json()) as { message: string }).message, reason);
    }
    assert.equal((await f.admin.request("/v1/routes/approve", { method: "POST", body: "{", headers: { "content-type": "application/json" } })).status, 400);
    assert.equal((await f.admin.request("/v1/routes/approve", { method: "GET" })).status, 404);
  } finally {
    f.close();
  }
});
