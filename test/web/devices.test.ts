// The Devices page (where a node runs): the table and its live fragment, adding a device (the
// name checked before the admin interface is asked; its configuration as a QR code, text and a
// data: download, shown once) and removing one through its confirm page.

import assert from "node:assert/strict";
import { test } from "node:test";
import { AdminInputError, AdminStateError } from "../../src/admin/admin-api.js";
import { fakeDeviceKey } from "../fakes/fake-admin-api.js";
import { harness, locationOf } from "./admin-page-client.js";

// Node's own base64url, not the page's conversion: the path segment the page must use.
const ANNA = fakeDeviceKey(0xfb); // "+/v7…=": every character base64url changes
const ANNA_SEGMENT = Buffer.from(ANNA, "base64").toString("base64url");

test("the navigation shows Devices only where the admin interface has devices; without, its addresses are 404", async () => {
  const client = await harness().login();
  assert.match(await (await client.get("/")).text(), /<a href="\/mesh">Mesh<\/a><a href="\/devices">Devices<\/a>/);
  assert.match(await (await client.get("/devices")).text(), /<a href="\/devices" aria-current="page">Devices<\/a>/);
  const without = await harness({ devices: false }).login();
  assert.doesNotMatch(await (await without.get("/")).text(), /href="\/devices"/);
  for (const path of ["/devices", `/devices/${ANNA_SEGMENT}/remove`, "/live/devices"]) assert.equal((await without.get(path)).status, 404, path);
  assert.equal((await without.post("/devices", { name: "phone" })).status, 404);
});

test("the table: name and key, mesh addresses, handshake age, traffic, endpoint, and a remove link by base64url key; also the live fragment", async () => {
  const { clock, api, login } = harness();
  const client = await login();
  const html = await (await client.get("/devices")).text();
  assert.match(html, /<div class="live" data-live-src="\/live\/devices" data-live-every="5">/);
  assert.match(html, new RegExp(`<strong>Anna&#39;s phone</strong><span class="muted block"><code>${ANNA.replace(/[+/]/g, "\\$&")}</code>`));
  assert.match(html, /<td data-label="Mesh address">100\.64\.1\.251<span class="muted block">fd7a:115c:a1e0::1:251<\/span><\/td><td data-label="Handshake">75 s ago<\/td>/);
  assert.match(html, /<td data-label="Received" class="number">5\.0 MiB<\/td><td data-label="Sent" class="number">293\.0 KiB<\/td>/);
  assert.match(html, /<td data-label="Endpoint">198\.51\.100\.7:51820<\/td>/);
  assert.match(html, new RegExp(`<a href="/devices/${ANNA_SEGMENT}/remove">Remove…</a>`));
  assert.match(html, /<strong>tablet<\/strong>[\s\S]*?<td data-label="Handshake">never<\/td>[\s\S]*?not heard from yet/);
  // A poll five seconds later sees 5 KiB more received: the rate, from the server's readings.
  clock.now += 5000;
  api.deviceList[0] = { ...api.deviceList[0]!, rxBytes: api.deviceList[0]!.rxBytes + 5 * 1024 };
  const fragment = await (await client.get("/live/devices")).text();
  assert.match(fragment, /^<table class="responsive">/);
  assert.match(fragment, /<td data-label="Rate" class="number">↓ 1\.0 KiB\/s ↑ 0 B\/s<\/td>/);
  api.deviceList.splice(0);
  assert.match(await (await client.get("/live/devices")).text(), /^<p class="muted">No devices yet/);
});

test("the name is checked before the admin interface is asked: the reason beside the field, the value kept, 400", async () => {
  const { api, login } = harness();
  const client = await login();
  const cases: [string, RegExp][] = [
    ["", /Give the device a name/],
    ["   ", /Give the device a name/],
    ["x".repeat(33), /At most 32 characters \(this has 33\)\./],
    ["two\nlines", /Only letters, digits, spaces, - _ and &#39;\./],
    ["tab\there", /Only letters, digits, spaces, - _ and &#39;\./],
    ["bell\u0007", /Only letters, digits, spaces, - _ and &#39;\./],
    ["<script>", /Only letters, digits, spaces, - _ and &#39;\./],
  ];
  for (const [name, reason] of cases) {
    const response = await client.post("/devices", { name });
    assert.equal(response.status, 400, JSON.stringify(name));
    const html = await response.text();
    assert.match(html, new RegExp(`<p class="field-error" id="name-error">${reason.source}`), JSON.stringify(name));
    assert.match(html, /aria-invalid="true" aria-describedby="name-error"/);
    assert.doesNotMatch(html, /device-config/);
  }
  assert.match(await (await client.post("/devices", { name: "x".repeat(40) })).text(), new RegExp(`value="${"x".repeat(40)}"`), "the value kept");
  assert.deepEqual(api.calls, []);
  // The limits themselves pass: 32 characters (counted as characters, not UTF-16 units), any script's letters.
  assert.equal((await client.post("/devices", { name: "ü".repeat(32) })).status, 200);
  assert.equal((await client.post("/devices", { name: " Jürgen's iPad-2_b " })).status, 200);
  assert.deepEqual(api.calls, [`devices.add ${"ü".repeat(32)}`, "devices.add Jürgen's iPad-2_b"]);
});

test("the admin interface's AdminInputError(name) is shown beside the field (400); AdminStateError above the form (409); nothing added", async () => {
  const { api, login } = harness();
  const client = await login();
  const taken = await client.post("/devices", { name: "tablet" });
  assert.equal(taken.status, 400);
  assert.match(await taken.text(), /<p class="field-error" id="name-error">a device named &quot;tablet&quot; exists already<\/p>/);
  api.failNext = { method: "devices.add", error: new AdminStateError("the coordinator does not answer") };
  const busy = await client.post("/devices", { name: "new phone" });
  assert.equal(busy.status, 409);
  const html = await busy.text();
  assert.match(html, /<p class="form-error" role="alert">the coordinator does not answer<\/p>/);
  assert.match(html, /value="new phone"/);
  assert.doesNotMatch(html, /id="name-error"/);
  assert.equal(api.deviceList.length, 2);
  api.failNext = { method: "devices.add", error: new Error("disk on fire") };
  assert.equal((await client.post("/devices", { name: "new phone" })).status, 500);
});

test("adding a device: its QR code at a scannable size, its configuration, a data: download — once", async () => {
  const { api, login } = harness();
  const client = await login();
  const response = await client.post("/devices", { name: "  Anna's tablet " });
  assert.equal(response.status, 200);
  assert.deepEqual(api.calls, ["devices.add Anna's tablet"]);
  const html = await response.text();
  const added = api.deviceList.at(-1)!;
  assert.equal(added.name, "Anna's tablet");
  assert.match(html, /This is the only time its configuration is shown/);
  assert.match(html, /Scan this with the WireGuard app/);

  const qr = /<img class="qr" src="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)" alt="QR code of the WireGuard configuration for Anna&#39;s tablet" width="(\d+)" height="(\d+)"/.exec(html);
  assert.ok(qr !== null, "a QR code image");
  const svg = Buffer.from(qr[1]!, "base64").toString("utf8");
  const modules = Number(/viewBox="0 0 (\d+) \d+"/.exec(svg)?.[1]);
  assert.ok(modules >= 69, `dense: ${modules} modules with the quiet zone`);
  assert.ok(Number(qr[2]) / modules >= 4, `${qr[2]} px for ${modules} modules: at least 4 px each`);
  assert.match(svg, /<path stroke="#000000" d="M/);

  const code = /<code class="device-config">([^<]*)<\/code>/.exec(html);
  assert.ok(code !== null);
  const shown = code[1]!.replace(/&#39;/g, "'");
  assert.match(shown, /^\[Interface\]\nPrivateKey = [A-Za-z0-9+/]{43}=\n/);
  assert.match(shown, /Address = 100\.64\.1\.3\/32/);
  assert.ok(shown.length > 300, `a realistic config (${shown.length} bytes), as dense as a real one`);

  const link = /<a class="button" href="data:text\/plain;charset=utf-8;base64,([A-Za-z0-9+/=]+)" download="([^"]+)">Download anna-s-tablet\.conf<\/a>/.exec(html);
  assert.ok(link !== null, "a download link");
  assert.equal(link[2], "anna-s-tablet.conf");
  assert.equal(Buffer.from(link[1]!, "base64").toString("utf8"), shown, "the download is the configuration shown");
  // The CSP governs the QR code's <img> (img-src data:), not an <a href> download; it is unchanged.
  assert.match(response.headers.get("Content-Security-Policy") ?? "", /img-src 'self' data:;/);
  assert.equal(response.headers.get("Cache-Control"), "no-store");
  assert.doesNotMatch(html, /<script>|<style|\sstyle=|\son[a-z]+=/i, "nothing the CSP would block");

  const again = await (await client.get("/devices")).text();
  assert.doesNotMatch(again, /PrivateKey|device-config|data:text\/plain|<img class="qr"/, "not shown again");
  assert.match(again, /<strong>Anna&#39;s tablet<\/strong>/, "listed");
  assert.doesNotMatch(await (await client.get("/live/devices")).text(), /PrivateKey/);
});

test("removing a device: the confirm page changes nothing, its button (with the CSRF token) revokes it, the page says so", async () => {
  const { api, login } = harness();
  const client = await login();
  const confirm = await (await client.get(`/devices/${ANNA_SEGMENT}/remove`)).text();
  assert.match(confirm, /<h1>Remove Anna&#39;s phone\?<\/h1>/);
  assert.match(confirm, /revoked everywhere/);
  assert.match(confirm, new RegExp(`<form method="post" action="/devices/${ANNA_SEGMENT}/remove"`));
  assert.equal(api.deviceList.length, 2);
  const forged = await client.post(`/devices/${ANNA_SEGMENT}/remove`, { _csrf: "" });
  assert.equal(forged.status, 403);
  assert.equal(api.deviceList.length, 2, "no CSRF token: nothing removed");
  const done = await client.post(`/devices/${ANNA_SEGMENT}/remove`);
  assert.equal(locationOf(done), "/devices");
  assert.deepEqual(api.calls, [`devices.remove ${ANNA}`]);
  assert.deepEqual(api.deviceList.map((device) => device.name), ["tablet"]);
  const page = await (await client.get("/devices")).text();
  assert.match(page, /<p class="flash" role="status">Anna&#39;s phone removed: revoked everywhere.<\/p>/);
  assert.doesNotMatch(page, new RegExp(ANNA_SEGMENT));
  assert.doesNotMatch(await (await client.get("/devices")).text(), /class="flash"/, "the message is shown once");
  assert.equal((await client.get(`/devices/${ANNA_SEGMENT}/remove`)).status, 404, "no confirm page for a device that is gone");
  assert.equal((await client.post(`/devices/${ANNA_SEGMENT}/remove`)).status, 404, "twice: nothing to remove");
  assert.equal((await client.get(`/devices/${encodeURIComponent(ANNA)}/remove`)).status, 404, "the standard base64 key is no address");
});

test("a refused removal: AdminStateError is a 409 page, nothing removed", async () => {
  const { api, login } = harness();
  const client = await login();
  api.failNext = { method: "devices.remove", error: new AdminStateError("the coordinator does not answer") };
  const busy = await client.post(`/devices/${ANNA_SEGMENT}/remove`);
  assert.equal(busy.status, 409);
  assert.match(await busy.text(), /the coordinator does not answer/);
  api.failNext = { method: "devices.remove", error: new AdminInputError("device", "no such device") };
  assert.equal((await client.post(`/devices/${ANNA_SEGMENT}/remove`)).status, 400);
  assert.equal(api.deviceList.length, 2);
});

test("without a session: the page redirects to /login, the fragment is a 401, add and remove change nothing", async () => {
  const { api, browser } = harness();
  const client = browser();
  assert.equal(locationOf(await client.get("/devices")), "/login");
  assert.equal(locationOf(await client.get(`/devices/${ANNA_SEGMENT}/remove`)), "/login");
  assert.equal((await client.get("/live/devices")).status, 401);
  assert.equal(locationOf(await client.post("/devices", { name: "phone", _csrf: "x" })), "/login");
  assert.equal(locationOf(await client.post(`/devices/${ANNA_SEGMENT}/remove`, { _csrf: "x" })), "/login");
  assert.deepEqual(api.calls, []);
  assert.equal(api.deviceList.length, 2);
});
