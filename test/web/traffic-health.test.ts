// The traffic page (range tabs, totals, the history its charts fetch) and the board health page.

import assert from "node:assert/strict";
import { test } from "node:test";
import { harness } from "./admin-page-client.js";

test("the traffic page names its range, points its charts at the history, and totals the bytes", async () => {
  const { login } = harness();
  const client = await login();
  const html = await (await client.get("/traffic?range=24h")).text();
  assert.match(html, /<a href="\/traffic\?range=24h" aria-current="page">24 hours<\/a>/);
  assert.match(html, /data-history-src="\/api\/history\?range=24h"/);
  assert.match(html, /<script src="\/static\/uplot\.min\.js" defer=""><\/script><script src="\/static\/traffic\.js" defer="">/);
  // 24h: 300 s buckets; rx 100 and 300 B/s → 120,000 B; tx 10 and 20 B/s → 9,000 B.
  assert.match(html, /All peers<\/td><td data-label="Received" class="number">117\.2 KiB<\/td><td data-label="Sent" class="number">8\.8 KiB</);
  assert.match(await (await client.get("/traffic")).text(), /data-history-src="\/api\/history\?range=1h"/, "1 h by default");
});

test("the history endpoint answers AdminApi.history as JSON; an unknown range is a 400 naming the field", async () => {
  const { login } = harness();
  const client = await login();
  const history = (await (await client.get("/api/history?range=7d")).json()) as { range: string; stepSeconds: number; peers: { name: string }[] };
  assert.equal(history.range, "7d");
  assert.equal(history.stepSeconds, 3600);
  assert.deepEqual(history.peers.map((peer) => peer.name), ["laptop"]);
  const bad = await client.get("/api/history?range=1y");
  assert.equal(bad.status, 400);
  assert.deepEqual(await bad.json(), { error: "bad_request", message: "range must be one of 1h, 24h, 7d", field: "range" });
  const page = await client.get("/traffic?range=1y");
  assert.equal(page.status, 400);
  assert.match(await page.text(), /range must be one of 1h, 24h, 7d/);
});

test("board health: temperature, load, memory, disk, uptime, and a past under-voltage as a warning", async () => {
  const { login } = harness();
  const client = await login();
  const html = await (await client.get("/health")).text();
  assert.match(html, /52\.5 °C/);
  assert.match(html, /0\.50, 0\.40, 0\.30 on 4 CPUs/);
  assert.match(html, /<strong>Memory<\/strong> 1\.0 GiB of 4\.0 GiB \(25 %\)/);
  assert.match(html, /<strong>Disk<\/strong> 8\.0 GiB of 32\.0 GiB \(25 %\) · the filesystem of \/var\/lib\/meshgate/);
  assert.match(html, /<dd>3 d<\/dd>/);
  assert.match(html, /<p class="warning">Since boot: under-voltage/);
  assert.doesNotMatch(html, /Now: /);
  assert.match(html, /data-live-src="\/live\/health"/);
});

test("health warnings now, a hot CPU and a high load are marked; a board that is no Pi shows no Pi section", async () => {
  const { api, login } = harness();
  const client = await login();
  api.board = {
    ...api.board,
    cpuTemperatureC: 81,
    load: [6, 5, 4],
    raspberryPi: { model: "Raspberry Pi 5", now: { underVoltage: true, frequencyCapped: false, throttled: true, softTemperatureLimit: false }, sinceBoot: null },
  };
  const hot = await (await client.get("/live/health")).text();
  assert.match(hot, /<p class="warning">Now: under-voltage/);
  assert.match(hot, /<p class="warning">Now: throttled<\/p>/);
  assert.match(hot, /<dd class="warning">81\.0 °C<\/dd>/);
  assert.match(hot, /<dd class="warning">6\.00, 5\.00, 4\.00/);
  api.board = { ...api.board, cpuTemperatureC: null, load: [0.1, 0.1, 0.1], raspberryPi: null };
  const plain = await (await client.get("/live/health")).text();
  assert.doesNotMatch(plain, /Raspberry|warning/);
  assert.match(plain, /not reported by this board/);
});
