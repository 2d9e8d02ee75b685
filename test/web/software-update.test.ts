// Software updates on the Settings page and GET /healthz: the status (a rollback as a warning
// with its reason), the upload (auth, CSRF, size before reading, gzip, the flash), the section
// without updates (not the image), and the open health check.

import assert from "node:assert/strict";
import { test } from "node:test";
import { AdminStateError, MAX_UPDATE_BUNDLE_BYTES } from "../../src/admin/admin-api.js";
import { harness, locationOf } from "./admin-page-client.js";

const GZIP = new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]);
const bundle = (bytes: Uint8Array = GZIP, name = "meshgate-0.1.1-arm64.update.tar.gz"): File => new File([bytes], name, { type: "application/gzip" });

test("GET /healthz answers anyone, before a password exists too: 200 {ok, version}, not cached", async () => {
  for (const password of [null, "correct horse battery"]) {
    const response = await harness({ password }).browser().get("/healthz");
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { ok: true, version: "0.1.0" });
    assert.equal(response.headers.get("Cache-Control"), "no-store");
    assert.match(response.headers.get("Content-Security-Policy") ?? "", /default-src 'self'/);
  }
});

test("without updates (not the image) the section shows the version and says updates come with the image; no upload route", async () => {
  const client = await harness().login();
  const html = await (await client.get("/settings")).text();
  assert.match(html, /<h2 id="software-update">Software update<\/h2><p>meshgate 0\.1\.0<\/p><p class="muted">Updates from this page come with the Raspberry Pi image/);
  assert.doesNotMatch(html, /enctype="multipart\/form-data"/);
  assert.equal((await client.upload("/settings/update", { bundle: bundle() })).status, 404);
  assert.equal((await client.get("/live/update")).status, 404);
});

test("with updates: running and other slot, the last result (a rollback is a warning with its reason), the upload form with the CSRF token", async () => {
  const { api, login } = harness({ updates: true });
  const client = await login();
  let html = await (await client.get("/settings")).text();
  assert.match(html, /<dt>Running<\/dt><dd>meshgate 0\.1\.0 <span class="muted">\(slot a\)<\/span><\/dd><dt>Other slot<\/dt><dd><span class="muted">empty<\/span><\/dd>/);
  assert.match(html, /<dt>Last update<\/dt><dd class="muted">none yet<\/dd>/);
  assert.match(html, new RegExp(`<form method="post" action="/settings/update" enctype="multipart/form-data" class="stack"><input type="hidden" name="_csrf" value="${client.csrf}"/>`));
  assert.match(html, /<input id="bundle" name="bundle" type="file" accept="\.tar\.gz,\.tgz,application\/gzip" required="" aria-describedby="bundle-hint"/);
  assert.doesNotMatch(html, /data-live-src="\/live\/update"/, "nothing under way: no polling");

  api.updateStatus = {
    current: { slot: "a", version: "0.1.0" },
    other: { slot: "b", version: "0.2.0" },
    pending: null,
    incoming: false,
    lastResult: { result: "rolled-back", version: "0.2.0", previousVersion: "0.1.0", reason: "not ready after 120 s", at: Date.UTC(2026, 0, 15, 11, 0) / 1000 },
  };
  html = await (await client.get("/settings")).text();
  assert.match(html, /<dd class="warning">0\.2\.0 was rolled back 2026-01-15 11:00 UTC: not ready after 120 s\. 0\.1\.0 runs again\.<\/dd>/);
  assert.match(html, /meshgate 0\.2\.0 <span class="muted">\(slot b, kept to roll back to\)<\/span>/);

  api.updateStatus = { ...api.updateStatus, pending: { version: "0.2.1", slot: "b", previousVersion: "0.1.0", startedAt: Date.UTC(2026, 0, 15, 11, 58) / 1000 }, lastResult: { result: "installed", version: "0.2.0", previousVersion: "0.1.0", reason: null, at: Date.UTC(2026, 0, 15, 11, 0) / 1000 } };
  html = await (await client.get("/settings")).text();
  assert.match(html, /<div class="live" data-live-src="\/live\/update" data-live-every="5">/);
  assert.match(html, /<dt>Under way<\/dt><dd>installing 0\.2\.1 into slot b since 2026-01-15 11:58 UTC/);
  assert.match(html, /<dd>0\.2\.0 installed 2026-01-15 11:00 UTC \(was 0\.1\.0\)<\/dd>/);
  const fragment = await (await client.get("/live/update")).text();
  assert.match(fragment, /^<dl class="facts"><dt>Running<\/dt>/);

  api.failNext = { method: "updates.status", error: new Error("EACCES: permission denied, open '/var/lib/meshgate/update/pending.env'") };
  html = await (await client.get("/settings")).text();
  assert.match(html, /The update status cannot be read: EACCES: permission denied/);
});

test("the upload: staged, then back to Settings with a flash saying it is being installed and the page will ask to log in again", async () => {
  const { api, login } = harness({ updates: true });
  const client = await login();
  await client.get("/settings");
  const response = await client.upload("/settings/update", { bundle: bundle() });
  assert.equal(response.status, 302);
  assert.equal(locationOf(response), "/settings");
  assert.deepEqual(api.calls, [`updates.stage meshgate-0.1.1-arm64.update.tar.gz ${GZIP.length}`]);
  assert.deepEqual(api.staged[0]!.bytes, GZIP);
  const html = await (await client.get("/settings")).text();
  assert.match(html, /<p class="flash" role="status">The update is being installed\. meshgate restarts in a minute or two; this page then asks you to log in again/);
});

test("the upload needs a session and the CSRF token", async () => {
  const { api, browser, login } = harness({ updates: true });
  const anonymous = browser();
  const response = await anonymous.upload("/settings/update", { bundle: bundle() });
  assert.equal(response.status, 302);
  assert.equal(locationOf(response), "/login");
  const client = await login();
  assert.equal((await client.upload("/settings/update", { _csrf: "forged", bundle: bundle() })).status, 403);
  assert.equal((await client.upload("/settings/update", { bundle: bundle() }, { Origin: "http://evil.example" })).status, 302, "the token is what counts");
  assert.equal(api.staged.length, 1);
});

test("refused: no file, not gzip (the reason beside the field, 400), an update under way (409), too big (413 before the body is read)", async () => {
  const { api, login } = harness({ updates: true });
  const client = await login();
  await client.get("/settings");
  let response = await client.upload("/settings/update", { bundle: new File([], "") });
  assert.equal(response.status, 400);
  assert.match(await response.text(), /<p class="field-error" id="bundle-error">Choose the update file/);
  response = await client.upload("/settings/update", { bundle: bundle(new TextEncoder().encode("hello"), "notes.txt") });
  assert.equal(response.status, 400);
  const html = await response.text();
  assert.match(html, /<div class="field invalid"><label for="bundle">Update file<\/label><input id="bundle" name="bundle" type="file"[^>]*aria-invalid="true" aria-describedby="bundle-error bundle-hint"/);
  assert.match(html, /<p class="field-error" id="bundle-error">notes\.txt is not a gzip file<\/p>/);
  api.failNext = { method: "updates.stage", error: new AdminStateError("an update to 0.2.1 is being installed: wait for it to finish") };
  response = await client.upload("/settings/update", { bundle: bundle() });
  assert.equal(response.status, 409);
  assert.match(await response.text(), /<p class="form-error" role="alert">an update to 0\.2\.1 is being installed/);

  // Over the limit by Content-Length: refused before a byte of the body is read.
  const tooBig = await client.post("/settings/update", {}, { "Content-Length": String(MAX_UPDATE_BUNDLE_BYTES + 128 * 1024), "Content-Type": "multipart/form-data; boundary=x" });
  assert.equal(tooBig.status, 413);
  assert.match(await tooBig.text(), /an update file is at most 512 MiB/);
  // Other forms keep their 64 KiB limit.
  const form = await client.post("/routes", { advertiseRoutes: "x".repeat(70 * 1024) });
  assert.equal(form.status, 413);
  assert.equal(api.staged.length, 0);
});
