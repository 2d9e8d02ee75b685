// Login, the session cookie, its ends (logout, idle, lifetime, a password change anywhere),
// and the rate limit per source address.

import assert from "node:assert/strict";
import { test } from "node:test";
import { FAILURE_WINDOW_MS, MAX_FAILURES } from "../../web/auth/login-limiter.js";
import { SESSION_IDLE_MS, SESSION_LIFETIME_MS } from "../../web/auth/sessions.js";
import { createAdminApp } from "../../web/app.js";
import { createFakeAdminApi } from "../fakes/fake-admin-api.js";
import { harness, locationOf } from "./admin-page-client.js";

test("a wrong password: 401 with the reason beside the field, no cookie", async () => {
  const { browser } = harness();
  const client = browser();
  const response = await client.post("/login", { password: "wrong" });
  assert.equal(response.status, 401);
  assert.match(await response.text(), /id="password-error">Wrong password.</);
  assert.equal(client.cookie, null);
});

test("the right password: a session cookie, HttpOnly, SameSite=Strict, Path=/, not Secure by default, and the pages open", async () => {
  const { api, browser } = harness();
  const client = browser();
  const response = await client.post("/login", { password: api.password! });
  assert.equal(response.status, 302);
  assert.equal(locationOf(response), "/");
  const cookie = response.headers.get("Set-Cookie")!;
  assert.match(cookie, /^meshgate_session=[A-Za-z0-9_-]{43};/);
  assert.match(cookie, /; HttpOnly/);
  assert.match(cookie, /; SameSite=Strict/);
  assert.match(cookie, /; Path=\//);
  assert.doesNotMatch(cookie, /Secure/);
  assert.equal((await client.get("/")).status, 200);
});

test("secureCookies: the cookie is Secure", async () => {
  const api = createFakeAdminApi();
  const app = createAdminApp(api, { secureCookies: true });
  const response = await app.request("/login", { method: "POST", body: new URLSearchParams({ password: api.password! }) });
  assert.match(response.headers.get("Set-Cookie")!, /; Secure/);
});

test(`${MAX_FAILURES} wrong passwords from an address: then 429 with Retry-After, until the window passes; X-Forwarded-For changes nothing`, async () => {
  const { api, browser, clock } = harness();
  const client = browser("192.168.1.66");
  for (let i = 0; i < MAX_FAILURES; i++) {
    assert.equal((await client.post("/login", { password: `guess ${i}` }, { "X-Forwarded-For": `10.9.9.${i}` })).status, 401);
    clock.now += 1000;
  }
  const blocked = await client.post("/login", { password: api.password! }, { "X-Forwarded-For": "10.9.9.99" });
  assert.equal(blocked.status, 429);
  assert.equal(blocked.headers.get("Retry-After"), String((FAILURE_WINDOW_MS - MAX_FAILURES * 1000) / 1000));
  assert.equal(client.cookie, null, "not logged in, even with the right password");
  assert.equal((await browser("192.168.1.67").post("/login", { password: api.password! })).status, 302, "another address may log in");
  clock.now += FAILURE_WINDOW_MS;
  assert.equal((await client.post("/login", { password: api.password! })).status, 302, "the window passed");
});

test("a success clears the address's failures", async () => {
  const { api, browser } = harness();
  const client = browser();
  for (let i = 0; i < MAX_FAILURES - 1; i++) await client.post("/login", { password: "wrong" });
  assert.equal((await client.post("/login", { password: api.password! })).status, 302);
  for (let i = 0; i < MAX_FAILURES - 1; i++) assert.equal((await client.post("/login", { password: "wrong" })).status, 401);
});

test("logout ends the session (the old cookie no longer opens a page)", async () => {
  const { login } = harness();
  const client = await login();
  const token = client.cookie;
  const response = await client.post("/logout");
  assert.equal(response.status, 302);
  assert.equal(locationOf(response), "/login");
  assert.equal(client.cookie, null, "the cookie is cleared");
  client.cookie = token;
  assert.equal(locationOf(await client.get("/")), "/login");
});

test("a session idle for 12 h ends; the page's own polling is not activity", async () => {
  const { login, clock } = harness();
  const client = await login();
  clock.now += SESSION_IDLE_MS - 1000;
  assert.equal((await client.get("/live/overview")).status, 200, "still live");
  clock.now += 1000;
  const live = await client.get("/live/overview");
  assert.equal(live.status, 401, "polling did not keep it");
  assert.deepEqual(await live.json(), { error: "unauthorized", message: "log in again: the session has ended" });
});

test("opening pages keeps a session, up to its 7-day lifetime", async () => {
  const { login, clock } = harness();
  const client = await login();
  const end = clock.now + SESSION_LIFETIME_MS;
  while (clock.now + SESSION_IDLE_MS / 2 < end) {
    clock.now += SESSION_IDLE_MS / 2;
    assert.equal((await client.get("/")).status, 200);
  }
  clock.now = end;
  assert.equal(locationOf(await client.get("/")), "/login");
});

test("a password changed elsewhere (meshgate admin passwd: a new version) ends every session", async () => {
  const { api, login } = harness();
  const a = await login("192.168.1.10");
  const b = await login("192.168.1.11");
  api.version++;
  assert.equal(locationOf(await a.get("/")), "/login");
  assert.equal((await b.get("/live/health")).status, 401);
});

test("changing the password on the page: the current one is needed, every other session ends, this browser stays in", async () => {
  const { api, login } = harness();
  const other = await login("192.168.1.10");
  const client = await login("192.168.1.11");
  const oldCookie = client.cookie;
  await client.get("/password");

  const wrong = await client.post("/password", { current: "not it", password: "a brand new password", repeat: "a brand new password" });
  assert.equal(wrong.status, 400);
  assert.match(await wrong.text(), /id="current-error">That is not the current password.</);
  const differ = await client.post("/password", { current: api.password!, password: "a brand new password", repeat: "a brand new passw0rd" });
  assert.match(await differ.text(), /id="repeat-error">The two new passwords differ.</);
  const weak = await client.post("/password", { current: api.password!, password: "short", repeat: "short" });
  assert.match(await weak.text(), /id="password-error">use at least 10 characters</);
  assert.equal(api.password, "correct horse battery", "nothing changed yet");
  assert.equal((await other.get("/")).status, 200);

  const changed = await client.post("/password", { current: api.password!, password: "a brand new password", repeat: "a brand new password" });
  assert.equal(changed.status, 302);
  assert.equal(api.password, "a brand new password");
  assert.notEqual(client.cookie, oldCookie, "a new session");
  const settings = await client.get(locationOf(changed)!);
  assert.equal(settings.status, 200);
  assert.match(await settings.text(), /Password changed. Every other session has ended./);
  assert.equal(locationOf(await other.get("/")), "/login", "the other browser is out");
});
