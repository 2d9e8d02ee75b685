// The security headers on every kind of response: pages, redirects, login, errors (401, 403,
// 404, 409, 500), JSON, fragments, static files, /metrics.

import assert from "node:assert/strict";
import { test } from "node:test";
import { AdminStateError } from "../../src/admin/admin-api.js";
import { FAKE_METRICS_TOKEN } from "../fakes/fake-admin-api.js";
import { harness } from "./admin-page-client.js";

const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function assertHeaders(response: Response, what: string): void {
  assert.equal(response.headers.get("Content-Security-Policy"), CSP, what);
  assert.equal(response.headers.get("X-Content-Type-Options"), "nosniff", what);
  assert.equal(response.headers.get("Referrer-Policy"), "no-referrer", what);
  assert.equal(response.headers.get("X-Frame-Options"), "DENY", what);
}

test("every response carries the CSP, nosniff, no-referrer and DENY", async () => {
  const { api, browser, login } = harness();
  const anonymous = browser();
  const responses: [string, Response][] = [
    ["login page", await anonymous.get("/login")],
    ["redirect to login", await anonymous.get("/")],
    ["401 JSON", await anonymous.get("/live/overview")],
    ["wrong password", await anonymous.post("/login", { password: "x" })],
    ["static CSS", await anonymous.get("/static/app.css")],
    ["static uPlot", await anonymous.get("/static/uplot.min.js")],
    ["static 404", await anonymous.get("/static/nope.js")],
    ["metrics 401", await anonymous.get("/metrics")],
    ["metrics", await anonymous.get("/metrics", { Authorization: `Bearer ${FAKE_METRICS_TOKEN}` })],
  ];
  const client = await login();
  responses.push(["overview", await client.get("/")], ["fragment", await client.get("/live/overview")], ["JSON", await client.get("/api/history?range=1h")]);
  responses.push(["404 page", await client.get("/no-such-page")], ["403", await client.post("/routes", { _csrf: "wrong" })]);
  api.failNext = { method: "revokeKey", error: new AdminStateError("busy") };
  responses.push(["409", await client.post("/mesh/keys/kaaaa1111/revoke")]);
  api.failNext = { method: "health", error: new Error("sensor exploded") };
  responses.push(["500", await client.get("/health")]);
  for (const [what, response] of responses) assertHeaders(response, `${what} (${response.status})`);
  assert.deepEqual(
    responses.map(([, response]) => response.status),
    [200, 302, 401, 401, 200, 200, 404, 401, 200, 200, 200, 200, 404, 403, 409, 500],
  );
});

test("pages are not cached (they carry tokens); static files revalidate with an ETag", async () => {
  const { browser, login } = harness();
  const client = await login();
  assert.equal((await client.get("/settings")).headers.get("Cache-Control"), "no-store");
  const css = await browser().get("/static/app.css");
  assert.equal(css.headers.get("Cache-Control"), "no-cache");
  assert.equal(css.headers.get("Content-Type"), "text/css; charset=utf-8");
  const etag = css.headers.get("ETag")!;
  assert.match(etag, /^"[A-Za-z0-9_-]{22}"$/);
  const again = await browser().get("/static/app.css", { "If-None-Match": etag });
  assert.equal(again.status, 304);
  assert.equal(await again.text(), "");
});

test("no page has inline script or inline style (the CSP would block them)", async () => {
  const { login } = harness();
  const client = await login();
  for (const path of ["/", "/traffic", "/health", "/mesh", "/routes", "/settings", "/password", "/mesh/nodes/2/remove", "/devices", `/devices/${Buffer.alloc(32, 0xfb).toString("base64url")}/remove`, "/login"]) {
    const html = await (await client.get(path)).text();
    for (const script of html.match(/<script[^>]*>/g) ?? []) assert.match(script, /^<script src="\/static\/[a-z.]+\.js" defer="">$/, `${path}: ${script}`);
    assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i, path);
  }
});
