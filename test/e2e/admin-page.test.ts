// The admin page end to end, in Debian's Chromium (headless, driven by playwright-core; no
// browser is downloaded): an appliance (`meshgate start`) and a second node, each in its own
// network namespace; the browser runs in the appliance's namespace, on its LAN address.
// First run with the printed setup code → the overview shows the second node, live → a key is
// created and its QR code renders → a phone is added and its config's QR code renders → every
// page renders → log out. A screenshot of each page
// goes to test-output/admin-page/ for a person to look at.

import assert from "node:assert/strict";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { describeNeeding, tool } from "../requirements.js";
import { Lab, NAMESPACE_NEEDS, PREFIX } from "../interop/netns.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const SCREENSHOTS = fileURLToPath(new URL("../../../test-output/admin-page/", import.meta.url));
const CHROMIUM = "/usr/bin/chromium";
const PASSWORD = "a long admin password";
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(what: string, limitMs: number, probe: () => T | null | undefined): Promise<T> {
  for (const started = Date.now(); Date.now() - started < limitMs; await sleep(100)) {
    const value = probe();
    if (value !== null && value !== undefined) return value;
  }
  throw new Error(`${what} did not happen within ${limitMs} ms`);
}

describeNeeding([...NAMESPACE_NEEDS, tool("chromium")], "the admin page in Chromium: first run, a two-node mesh, a new key, every page", () => {
  let lab: Lab;
  let browser: Browser;
  let page: Page;
  let adminUrl: string;
  let setupCode: string;
  const stateRoot = join(tmpdir(), `meshgate-e2e-${process.pid}`);

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    lab = await Lab.create("e", 75);
    const appliance = lab.adopt(lab.left.spawn(process.execPath, [MAIN, "start", "--state-dir", join(stateRoot, "appliance")]));
    const printed = (): string => appliance.output.join("");
    const joinCommand = await waitFor("the appliance's join command", 30_000, () => {
      if (appliance.exitCode !== null) throw new Error(printed());
      return /meshgate up --coordinator (\S+) --auth-key (\S+)/.exec(printed());
    });
    adminUrl = /admin page\s+(http:\/\/192\.168\.75\.1:\d+\/)/.exec(printed())?.[1] ?? assert.fail(`no LAN admin URL in:\n${printed()}`);
    setupCode = /setup code\s+([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(printed())?.[1] ?? assert.fail(`no setup code in:\n${printed()}`);
    lab.adopt(lab.right.spawn(process.execPath, [
      MAIN, "up", "--foreground", "--coordinator", joinCommand[1]!, "--auth-key", joinCommand[2]!, "--state-dir", join(stateRoot, "laptop"),
      "--interface", `${PREFIX}e2`, "--hostname", "laptop", "--admin-listen", "off",
    ]));
    // Chromium in the appliance's namespace: playwright talks to it over inherited pipes, which `ip netns exec` keeps.
    const wrapper = join(tmpdir(), `${PREFIX}-chromium.sh`);
    writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${lab.left.name} ${CHROMIUM} "$@"\n`);
    chmodSync(wrapper, 0o700);
    browser = await chromium.launch({ executablePath: wrapper, args: ["--no-sandbox"], headless: true });
    page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.on("pageerror", (error) => assert.fail(`a script on the page failed: ${error.message}`));
  });

  after(async () => {
    await browser?.close();
    await lab?.destroy();
  });

  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  test("first run: only the setup page, and only with the printed code", async () => {
    await page.goto(adminUrl);
    assert.match(page.url(), /\/setup$/, "everything leads to setup until a password is set");
    await shot("1-setup");
    await page.fill("input[name=code]", "AAAA-AAAA");
    await page.fill("input[name=password]", PASSWORD);
    await page.fill("input[name=repeat]", PASSWORD);
    await page.click("button[type=submit]");
    assert.match(await page.textContent("body") ?? "", /setup code/i, "a wrong code is refused beside its field");
    await page.fill("input[name=code]", setupCode);
    await page.fill("input[name=password]", PASSWORD);
    await page.fill("input[name=repeat]", PASSWORD);
    await page.click("button[type=submit]");
    await page.waitForURL((url) => url.pathname === "/");
  });

  test("the overview shows this node and, live, the second node of the mesh", async () => {
    // Expressions run in the page (this file is compiled without the DOM's types).
    await page.waitForFunction("document.querySelector('main').innerText.includes('laptop')", undefined, { timeout: 30_000 });
    const text = await page.textContent("main") ?? "";
    assert.match(text, /100\.\d+\.\d+\.\d+/, "mesh addresses are shown");
    await shot("2-overview");
  });

  test("a new pre-auth key shows its join command and a QR code that renders", async () => {
    await page.click("nav >> text=Mesh");
    await page.check("input[name=reusable]");
    await page.fill("input[name=description]", "e2e key");
    await page.click("form[action='/mesh/keys'] button[type=submit]");
    const command = await page.textContent("code.join-command");
    assert.match(command ?? "", /^meshgate up --coordinator http:\/\/\S+ --auth-key mgauth1-/);
    const qr = (await page.evaluate("(() => { const image = document.querySelector('img.qr'); return { width: image.naturalWidth, complete: image.complete }; })()")) as { width: number; complete: boolean };
    assert.ok(qr.complete && qr.width > 0, "the QR code image decoded");
    await shot("3-mesh-new-key");
  });

  test("a phone without meshgate: its WireGuard config renders as a QR code, with the file to download", async () => {
    await page.click("nav >> text=Devices");
    await page.fill("form[action='/devices'] input[name=name]", "Anna's phone");
    await page.click("form[action='/devices'] button[type=submit]");
    const config = await page.textContent("code.device-config");
    assert.match(config ?? "", /^\[Interface\]\nPrivateKey = [A-Za-z0-9+/]{43}=\nAddress = 100\./m);
    const qr = (await page.evaluate("(() => { const image = document.querySelector('img.qr'); return { width: image.naturalWidth, complete: image.complete }; })()")) as { width: number; complete: boolean };
    assert.ok(qr.complete && qr.width > 0, "the QR code image decoded");
    assert.equal(await page.getAttribute("a[download]", "download"), "anna-s-phone.conf");
    await shot("4-device-added");
  });

  test("every other page renders without a script error", async () => {
    for (const [section, name] of [["Traffic", "5-traffic"], ["Health", "6-health"], ["Routes", "7-routes"], ["Devices", "8-devices"]] as const) {
      await page.click(`nav >> text=${section}`);
      await page.waitForLoadState("networkidle");
      assert.doesNotMatch(await page.textContent("main") ?? "", /internal error/i, section);
      await shot(name);
    }
  });

  test("log out ends the session; logging in takes the password, and only it", async () => {
    await page.click("form.logout button");
    await page.waitForURL((url) => url.pathname === "/login");
    await page.goto(adminUrl);
    assert.match(page.url(), /\/login$/);
    await shot("9-login");
    await page.fill("input[name=password]", "not the password");
    await page.click("button[type=submit]");
    assert.match(page.url(), /\/login$/, "a wrong password stays on the login page");
    await page.fill("input[name=password]", PASSWORD);
    await page.click("button[type=submit]");
    await page.waitForURL((url) => url.pathname === "/");
    assert.match(await page.textContent("main") ?? "", /laptop/, "back on the overview");
  });
});
