// Every route behind the session: without one, a page redirects to /login and a script
// endpoint answers 401 JSON; every state-changing route refuses a missing or wrong CSRF token
// with 403; and none of them, nor any GET, touches the admin interface when refused.

import assert from "node:assert/strict";
import { test } from "node:test";
import { harness, locationOf } from "./admin-page-client.js";

const DEVICE = Buffer.alloc(32, 0xfb).toString("base64url"); // the fake's "Anna's phone", as its path names it
const PAGES = ["/", "/traffic", "/traffic?range=7d", "/health", "/mesh", "/routes", "/settings", "/password", "/mesh/nodes/2/remove", "/mesh/nodes/2/expire", "/mesh/keys/kaaaa1111/revoke", "/devices", `/devices/${DEVICE}/remove`];
const SCRIPT_ENDPOINTS = ["/live/overview", "/live/health", "/live/mesh/nodes", "/live/devices", "/api/history?range=1h"];

// Each state-changing route with fields that would succeed.
const ACTIONS: readonly [string, Record<string, string>][] = [
  ["/logout", {}],
  ["/password", { current: "correct horse battery", password: "a brand new password", repeat: "a brand new password" }],
  ["/mesh/keys", { expires: "1d", description: "x" }],
  ["/mesh/keys/kaaaa1111/revoke", {}],
  ["/mesh/nodes/2/remove", {}],
  ["/mesh/nodes/2/expire", {}],
  ["/devices", { name: "new phone" }],
  [`/devices/${DEVICE}/remove`, {}],
  ["/routes", { advertiseRoutes: "192.168.7.0/24", acceptRoutes: "on" }],
  ["/routes/approve", { node: "1", route: "192.168.1.0/24" }],
  ["/routes/reject", { node: "1", route: "192.168.1.0/24" }],
];

test("without a session: pages redirect to /login, script endpoints answer 401 JSON, actions change nothing", async () => {
  const { api, browser } = harness();
  const client = browser();
  for (const path of PAGES) {
    const response = await client.get(path);
    assert.equal(response.status, 302, path);
    assert.equal(locationOf(response), "/login", path);
  }
  for (const path of SCRIPT_ENDPOINTS) {
    const response = await client.get(path);
    assert.equal(response.status, 401, path);
    assert.match(response.headers.get("Content-Type") ?? "", /^application\/json/, path);
    assert.equal(((await response.json()) as { error: string }).error, "unauthorized", path);
  }
  for (const [path, fields] of ACTIONS) {
    const response = await client.post(path, { ...fields, _csrf: "anything" });
    assert.equal(locationOf(response), "/login", path);
  }
  assert.deepEqual(api.calls, []);
  assert.equal(api.password, "correct horse battery");
});

test("a cookie that names no session is no session", async () => {
  const { browser } = harness();
  const client = browser();
  client.cookie = "A".repeat(43);
  assert.equal(locationOf(await client.get("/")), "/login");
});

test("with a session, every GET leaves the admin interface unchanged (no side effects)", async () => {
  const { api, login } = harness();
  const client = await login();
  for (const path of [...PAGES, ...SCRIPT_ENDPOINTS]) assert.equal((await client.get(path)).status, 200, path);
  assert.deepEqual(api.calls, []);
});

test("with a session, each action without the CSRF token, with a wrong one, or with another session's: 403 and no effect", async () => {
  const { api, login } = harness();
  const client = await login("192.168.1.10");
  const other = await login("192.168.1.11");
  for (const [path, fields] of ACTIONS) {
    for (const token of ["", "wrong", other.csrf!]) {
      const response = await client.post(path, { ...fields, _csrf: token });
      assert.equal(response.status, 403, `${path} with "${token}"`);
      assert.match(await response.text(), /reload the page and try again/);
    }
  }
  assert.deepEqual(api.calls, []);
  assert.equal((await client.get("/")).status, 200, "still logged in (logout was refused too)");
});

test("the CSRF token may come as the X-CSRF-Token header (a script's fetch)", async () => {
  const { api, login } = harness();
  const client = await login();
  const token = client.csrf!;
  client.csrf = null;
  const response = await client.post("/mesh/nodes/2/expire", {}, { "X-CSRF-Token": token });
  assert.equal(response.status, 302);
  assert.deepEqual(api.calls, ["expireNode 2"]);
  assert.equal((await client.post("/mesh/nodes/3/expire", {}, { "X-CSRF-Token": "wrong" })).status, 403);
});

test("a POST to a script endpoint without the token answers 403 JSON", async () => {
  const { login } = harness();
  const client = await login();
  const response = await client.post("/api/history", { _csrf: "" });
  assert.equal(response.status, 403);
  assert.equal(((await response.json()) as { error: string }).error, "forbidden");
});

test("a body over 64 KiB is refused with 413 before anything reads it", async () => {
  const { api, browser, login } = harness();
  const big = "x".repeat(64 * 1024);
  const response = await browser().post("/login", { password: big });
  assert.equal(response.status, 413);
  assert.match(await response.text(), /at most 64 KiB/);
  const client = await login();
  assert.equal((await client.post("/routes", { advertiseRoutes: big })).status, 413);
  assert.deepEqual(api.calls, []);
  assert.equal((await browser().post("/login", { password: "x".repeat(60 * 1024) })).status, 401, "below the limit: read");
});
