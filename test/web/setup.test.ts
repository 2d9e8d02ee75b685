// First run: with no password, everything leads to /setup, which sets one only for the holder
// of the one-time setup code, counting wrong codes against the source like wrong passwords.

import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_FAILURES } from "../../web/auth/login-limiter.js";
import { FAKE_SETUP_CODE } from "../fakes/fake-admin-api.js";
import { harness, locationOf } from "./admin-page-client.js";

const NEW_PASSWORD = "a long new password";

test("without a password every page redirects to /setup, /login too, and script endpoints answer 401", async () => {
  const { browser } = harness({ password: null });
  const client = browser();
  for (const path of ["/", "/login", "/traffic", "/mesh", "/routes", "/settings", "/no-such-page"]) {
    const response = await client.get(path);
    assert.equal(response.status, 302, path);
    assert.equal(locationOf(response), "/setup", path);
  }
  const live = await client.get("/live/overview");
  assert.equal(live.status, 401);
  assert.equal(((await live.json()) as { error: string }).error, "unauthorized");
  const setup = await client.get("/setup");
  assert.equal(setup.status, 200);
  assert.match(await setup.text(), /one-time setup code/);
});

test("a wrong setup code: 403 with the reason beside the code field, and no password set", async () => {
  const { api, browser } = harness({ password: null });
  const response = await browser().post("/setup", { code: "guess", password: NEW_PASSWORD, repeat: NEW_PASSWORD });
  assert.equal(response.status, 403);
  const html = await response.text();
  assert.match(html, /<p class="field-error" id="code-error">That is not the setup code this appliance printed.<\/p>/);
  assert.match(html, /<input id="code" name="code"[^>]*aria-invalid="true"/);
  assert.equal(api.password, null);
});

test(`after ${MAX_FAILURES} wrong codes the source gets 429 with Retry-After, even with the right code; others do not`, async () => {
  const { api, browser } = harness({ password: null });
  const client = browser("192.168.1.66");
  for (let i = 0; i < MAX_FAILURES; i++) assert.equal((await client.post("/setup", { code: `guess-${i}`, password: NEW_PASSWORD, repeat: NEW_PASSWORD })).status, 403);
  const blocked = await client.post("/setup", { code: FAKE_SETUP_CODE, password: NEW_PASSWORD, repeat: NEW_PASSWORD });
  assert.equal(blocked.status, 429);
  assert.equal(blocked.headers.get("Retry-After"), "900");
  assert.match(await blocked.text(), /Too many wrong attempts from your address: try again in 15 min/);
  assert.equal(api.password, null, "the right code was not even checked");
  const other = await browser("192.168.1.67").post("/setup", { code: FAKE_SETUP_CODE, password: NEW_PASSWORD, repeat: NEW_PASSWORD });
  assert.equal(other.status, 302);
});

test("the right code with two different passwords, or a weak one: 400 beside the field, nothing set", async () => {
  const { api, browser } = harness({ password: null });
  const client = browser();
  const differ = await client.post("/setup", { code: FAKE_SETUP_CODE, password: NEW_PASSWORD, repeat: "something else" });
  assert.equal(differ.status, 400);
  assert.match(await differ.text(), /id="repeat-error">The two passwords differ.</);
  const weak = await client.post("/setup", { code: FAKE_SETUP_CODE, password: "short", repeat: "short" });
  assert.equal(weak.status, 400);
  assert.match(await weak.text(), /id="password-error">use at least 10 characters</, "the admin interface's reason");
  assert.equal(api.password, null);
});

test("the right code and a good password: the password is set, the browser is logged in, /setup is closed", async () => {
  const { api, browser } = harness({ password: null });
  const client = browser();
  const response = await client.post("/setup", { code: ` ${FAKE_SETUP_CODE} `, password: NEW_PASSWORD, repeat: NEW_PASSWORD });
  assert.equal(response.status, 302);
  assert.equal(locationOf(response), "/");
  assert.equal(api.password, NEW_PASSWORD);
  assert.equal((await client.get("/")).status, 200, "logged in");
  assert.equal(locationOf(await client.get("/setup")), "/login");
  assert.equal(locationOf(await browser().post("/setup", { code: FAKE_SETUP_CODE, password: "another long one", repeat: "another long one" })), "/login");
  assert.equal(api.password, NEW_PASSWORD);
});

test("two setups at once with the right code: only the first sets the password", async () => {
  const { api, browser } = harness({ password: null });
  const slow = api.auth.setPassword.bind(api.auth);
  // scrypt takes a while: the second request arrives while the first is still hashing.
  (api.auth as { setPassword: (password: string) => Promise<void> }).setPassword = async (password) => {
    await new Promise((resolve) => setTimeout(resolve, 50));
    await slow(password);
  };
  const [first, second] = await Promise.all([
    browser().post("/setup", { code: FAKE_SETUP_CODE, password: NEW_PASSWORD, repeat: NEW_PASSWORD }),
    browser().post("/setup", { code: FAKE_SETUP_CODE, password: "the attacker's password", repeat: "the attacker's password" }),
  ]);
  assert.equal(first.status, 302);
  assert.equal(locationOf(first), "/");
  assert.ok(second.status === 409 || locationOf(second) === "/login", `the second is turned away (${second.status})`);
  assert.equal(api.password, NEW_PASSWORD);
});
