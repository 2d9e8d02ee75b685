// One-time join links: a new key's link offers the command without a session, shows it once,
// and is gone after use, after an hour, or when its key expires first.

import assert from "node:assert/strict";
import { test } from "node:test";
import { LINK_LIFETIME_MS, MAX_LINKS, createJoinLinks } from "../../web/join-links.js";
import { harness } from "./admin-page-client.js";

async function newLink(h: ReturnType<typeof harness>, expires = "7d"): Promise<string> {
  const admin = await h.login();
  const html = await (await admin.post("/mesh/keys", { expires })).text();
  const url = /<code class="join-link">(http:\/\/[^<]+)<\/code>/.exec(html)?.[1];
  assert.ok(url !== undefined, "the new key's panel carries a one-time link");
  return new URL(url).pathname;
}

test("a join link offers the command to anyone holding it, shows it once, then is gone", async () => {
  const h = harness();
  const path = await newLink(h);
  assert.match(path, /^\/join\/[A-Za-z0-9_-]{43}$/);
  const stranger = h.browser("192.168.1.77");
  const offer = await stranger.get(path);
  assert.equal(offer.status, 200);
  const offered = await offer.text();
  assert.match(offered, /Show the join command/);
  assert.doesNotMatch(offered, /--auth-key/, "a GET (a chat app's preview) does not use it up or show the key");
  assert.equal((await stranger.get(path)).status, 200, "still there after the GET");
  const shown = await stranger.post(path);
  assert.equal(shown.status, 200);
  assert.match(await shown.text(), /<code class="join-command">meshgate up --coordinator http:\/\/192\.168\.1\.2:8080 --auth-key mgk-k\d+-secret<\/code>/);
  assert.equal((await stranger.post(path)).status, 410, "once only");
  assert.equal((await stranger.get(path)).status, 410);
  assert.equal((await stranger.post("/join/not-a-token")).status, 410);
});

test("a join link ends after an hour, or with its key when that expires first", async () => {
  const h = harness();
  const path = await newLink(h, "7d");
  h.clock.now += LINK_LIFETIME_MS;
  assert.equal((await h.browser().post(path)).status, 410, "an hour later");
  const links = createJoinLinks(() => 1_000);
  const short = links.create("meshgate up …", 1_000 + 60_000);
  assert.equal(short.expiresAt, 61_000, "no longer than the key");
});

test("at most MAX_LINKS wait: the oldest goes first", () => {
  const links = createJoinLinks(() => 0);
  const first = links.create("first", null);
  for (let i = 0; i < MAX_LINKS; i++) links.create(`n${i}`, null);
  assert.equal(links.take(first.token), null);
  const last = links.create("last", null);
  assert.equal(links.take(last.token), "last");
});
