import assert from "node:assert/strict";
import { test } from "node:test";
import { createSessionStore, MAX_SESSIONS, SESSION_IDLE_MS, SESSION_LIFETIME_MS } from "../../web/auth/sessions.js";

test("a session is found by its token while live, with its own CSRF token; another token finds nothing", () => {
  const store = createSessionStore();
  const { token, session } = store.create(1000, 1);
  assert.match(token, /^[A-Za-z0-9_-]{43}$/, "32 random bytes, base64url");
  assert.notEqual(session.csrfToken, token);
  assert.equal(store.find(token, 2000, 1), session);
  assert.equal(store.find(`${token}x`, 2000, 1), null);
  assert.notEqual(store.create(1000, 1).token, token);
});

test("a session ends when idle for SESSION_IDLE_MS; activity keeps it", () => {
  const store = createSessionStore();
  const { token, session } = store.create(0, 1);
  session.lastActiveAt = SESSION_IDLE_MS - 1;
  assert.equal(store.find(token, 2 * SESSION_IDLE_MS - 2, 1), session, "active recently enough");
  assert.equal(store.find(token, 2 * SESSION_IDLE_MS - 1, 1), null, "idle too long");
  assert.equal(store.count(), 0, "and forgotten");
});

test("a session ends at SESSION_LIFETIME_MS however active it is", () => {
  const store = createSessionStore();
  const { token, session } = store.create(0, 1);
  session.lastActiveAt = SESSION_LIFETIME_MS - 1;
  assert.equal(store.find(token, SESSION_LIFETIME_MS - 1, 1), session);
  assert.equal(store.find(token, SESSION_LIFETIME_MS, 1), null);
});

test("a session made under another password version is dead", () => {
  const store = createSessionStore();
  const { token } = store.create(0, 1);
  assert.equal(store.find(token, 1, 2), null);
  assert.equal(store.find(token, 1, 1), null, "and stays dead if the version came back");
});

test(`at most ${MAX_SESSIONS} sessions: the oldest ends first`, () => {
  const store = createSessionStore();
  const tokens = Array.from({ length: MAX_SESSIONS + 1 }, (_, i) => store.create(i, 1).token);
  assert.equal(store.count(), MAX_SESSIONS);
  assert.equal(store.find(tokens[0]!, 100, 1), null, "the oldest was evicted");
  assert.notEqual(store.find(tokens[1]!, 100, 1), null);
  assert.notEqual(store.find(tokens[MAX_SESSIONS]!, 100, 1), null);
});

test("end() ends one session", () => {
  const store = createSessionStore();
  const a = store.create(0, 1);
  const b = store.create(0, 1);
  store.end(a.token);
  assert.equal(store.find(a.token, 1, 1), null);
  assert.equal(store.find(b.token, 1, 1), b.session);
});
