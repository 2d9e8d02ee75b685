// The browser's files: served without a session from the source tree and node_modules (uPlot),
// with their types; nothing else under /static/.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { test } from "node:test";
import { harness } from "./admin-page-client.js";

test("the page's CSS and scripts and uPlot are served without a session, byte for byte", async () => {
  const client = harness().browser();
  const own = (name: string): string => readFileSync(new URL(`../../../web/static/${name}`, import.meta.url), "utf8");
  const uplot = (name: string): string => readFileSync(createRequire(import.meta.url).resolve(`uplot/dist/${name}`), "utf8");
  const cases: [string, string, string][] = [
    ["/static/app.css", "text/css; charset=utf-8", own("app.css")],
    ["/static/live.js", "text/javascript; charset=utf-8", own("live.js")],
    ["/static/traffic.js", "text/javascript; charset=utf-8", own("traffic.js")],
    ["/static/uplot.min.js", "text/javascript; charset=utf-8", uplot("uPlot.iife.min.js")],
    ["/static/uplot.min.css", "text/css; charset=utf-8", uplot("uPlot.min.css")],
  ];
  for (const [path, type, body] of cases) {
    const response = await client.get(path);
    assert.equal(response.status, 200, path);
    assert.equal(response.headers.get("Content-Type"), type, path);
    assert.equal(await response.text(), body, path);
  }
});

test("nothing else is served from /static/: not the source, not a path out of it", async () => {
  const client = harness().browser();
  for (const path of ["/static/app.ts", "/static/..%2Fapp.ts", "/static/../package.json", "/static/"]) {
    const response = await client.get(path);
    assert.notEqual(response.status, 200, path);
  }
});
