// The image booted in qemu's `virt` board as a user would set it up: meshgate.conf written to
// the boot partition from outside (hostname, another mesh's coordinator and auth key, a route,
// an SSH key; no password), then the first boot. The admin page answers through a port
// forward and is set up with the code the Pi wrote to its boot partition; the Pi joined the
// coordinator running here under its new name; then an update uploaded on the admin page
// installs into the other slot, and a deliberately broken one (`meshgate update` over SSH)
// rolls back by itself.

import assert from "node:assert/strict";
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { describeNeeding, tool } from "../requirements.js";
import { BUILT_IMAGE, IMAGE, IMAGE_TOOLS, partitions, readFatFile, UPDATE_BUNDLE, VERSION, writeFatFile } from "./image-files.js";
import { bootVirt, copyImage, freePort, type BootedGuest } from "./qemu.js";

const run = promisify(execFile);
const REPO = join(import.meta.dirname, "..", "..", "..");
const CLI = join(REPO, "dist", "src", "cli", "main.js");
const OUTPUT = join(REPO, "test-output", "image", "virt"); // serial log and bundles, for a person to look at
const GROWTH_BYTES = 512 * 1024 * 1024;
const BOOT_LIMIT_MS = 10 * 60_000; // TCG on two cores: ~1 min to a login prompt, Node's first start takes longer
const PASSWORD = "correct horse battery";
const GOOD_VERSION = `${VERSION}-imagetest.1`;
const BROKEN_VERSION = `${VERSION}-imagetest.broken`;

async function eventually<T>(what: string, limitMs: number, probe: () => Promise<T | null | undefined | false>): Promise<T> {
  const deadline = Date.now() + limitMs;
  let last: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value !== null && value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${limitMs / 1000} s${last ? ` (last error: ${String(last)})` : ""}`);
    await sleep(2000);
  }
}

// An update bundle made from the image's own: another version, or one whose app exits at once.
function makeBundle(version: string, broken: boolean, dir: string): string {
  const tree = join(dir, `bundle-${version}`);
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(tree, { recursive: true });
  execFileSync("tar", ["-xzf", UPDATE_BUNDLE, "-C", tree]);
  for (const file of ["manifest.json", "app/package.json"]) {
    const json = JSON.parse(readFileSync(join(tree, file), "utf8")) as { version: string };
    json.version = version;
    writeFileSync(join(tree, file), `${JSON.stringify(json, null, 2)}\n`);
  }
  if (broken) writeFileSync(join(tree, "app/dist/src/cli/main.js"), "#!/usr/bin/env node\nconsole.error('a deliberately broken meshgate');\nprocess.exit(1);\n");
  const bundle = join(dir, `meshgate-${version}.update.tar.gz`);
  execFileSync("tar", ["-C", tree, "--owner=0", "--group=0", "-I", "gzip -1", "-cf", bundle, "manifest.json", "node", "app"]);
  rmSync(tree, { recursive: true, force: true });
  return bundle;
}

describeNeeding([BUILT_IMAGE, ...IMAGE_TOOLS, tool("qemu-system-aarch64"), tool("ssh"), tool("ssh-keygen")], "the image booted in qemu virt", () => {
  let guest: BootedGuest;
  let coordinator: ChildProcess;
  let coordinatorState = "";
  let image = "";
  let rootBytesBefore = 0;
  let sessionCookie = "";
  let goodBundle = "";

  const base = (): string => `http://127.0.0.1:${guest.ports.http}`;
  const ssh = async (command: string): Promise<{ stdout: string; stderr: string; code: number }> => {
    try {
      const { stdout, stderr } = await run("ssh", [
        "-p", String(guest.ports.ssh), "-i", join(OUTPUT, "id_ed25519"), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "BatchMode=yes", "-o", "ConnectTimeout=20", "-o", "LogLevel=ERROR", "root@127.0.0.1", command,
      ], { timeout: 8 * 60_000, maxBuffer: 16 * 1024 * 1024 });
      return { stdout, stderr, code: 0 };
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string; code?: number };
      return { stdout: failed.stdout ?? "", stderr: failed.stderr ?? "", code: typeof failed.code === "number" ? failed.code : -1 };
    }
  };
  const coordinatorCli = async (...args: string[]): Promise<string> => (await run(process.execPath, [CLI, ...args, "--state-dir", coordinatorState])).stdout;
  const healthVersion = async (): Promise<string | null> => {
    const response = await fetch(`${base()}/healthz`, { signal: AbortSignal.timeout(10_000) });
    return response.ok ? ((await response.json()) as { version: string }).version : null;
  };

  before(async () => {
    rmSync(OUTPUT, { recursive: true, force: true });
    mkdirSync(OUTPUT, { recursive: true });
    coordinatorState = join(OUTPUT, "coordinator");
    const port = await freePort();
    coordinator = spawn(process.execPath, [CLI, "coordinator", "--listen", `127.0.0.1:${port}`, "--stun-port", "0", "--state-dir", coordinatorState], { stdio: "ignore" });
    const key = await eventually("the coordinator answers", 30_000, async () => JSON.parse(await coordinatorCli("keys", "create", "--json", "--description", "image test")) as { key: string });
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "image-test", "-f", join(OUTPUT, "id_ed25519")]);
    const publicKey = readFileSync(join(OUTPUT, "id_ed25519.pub"), "utf8").trim();

    image = copyImage(IMAGE, join(OUTPUT, "card.img"), GROWTH_BYTES);
    rootBytesBefore = partitions(image)[1]!.size * 512;
    // The guest reaches this machine's loopback as 10.0.2.2 (qemu's user-mode network).
    writeFatFile(image, "meshgate.conf", [
      "# written by test/image/boot-virt.test.ts",
      "hostname = pi-test",
      `coordinator = http://10.0.2.2:${port}`,
      `auth_key = ${key.key}`,
      "advertise_routes = 192.168.77.0/24",
      `ssh_authorized_key = ${publicKey}`,
      "",
    ].join("\r\n"), OUTPUT);
    // The good bundle is uploaded on the admin page; the broken one travels on the boot
    // partition (as a person might bring it on a USB stick) for `meshgate update`.
    goodBundle = makeBundle(GOOD_VERSION, false, OUTPUT);
    writeFatFile(image, "broken.tar.gz", readFileSync(makeBundle(BROKEN_VERSION, true, OUTPUT)), OUTPUT);
    guest = await bootVirt(image, OUTPUT);
  });

  after(async () => {
    await guest?.stop();
    if (coordinator?.pid !== undefined && coordinator.exitCode === null) process.kill(coordinator.pid, "SIGTERM");
    rmSync(image, { force: true });
    rmSync(join(OUTPUT, "fat-broken.tar.gz"), { force: true });
  });

  test("the admin page answers, and the setup code the Pi wrote to its boot partition sets the password", async () => {
    await guest.waitForSerial(/login:/, BOOT_LIMIT_MS);
    assert.equal(await eventually("the admin page answers /healthz", BOOT_LIMIT_MS, healthVersion), VERSION);
    const code = await eventually("meshgate-setup-code.txt on the boot partition", 3 * 60_000, async () => {
      const text = readFatFile(image, "meshgate-setup-code.txt")?.toString("utf8");
      return text === undefined ? null : /setup code: ([A-Z0-9-]+)/.exec(text)?.[1];
    });
    // The file can reach the card before the announce run that wrote it has finished its `sync`
    // and printed to the console, so the console gets a little time to catch up.
    await guest.waitForSerial(new RegExp(`first-run setup code: ${code}`), 60_000);
    const wrong = await fetch(`${base()}/setup`, { method: "POST", redirect: "manual", body: new URLSearchParams({ code: "WRONG-CODE", password: PASSWORD, repeat: PASSWORD }) });
    assert.notEqual(wrong.status, 302, "a wrong code sets nothing");
    const setup = await fetch(`${base()}/setup`, { method: "POST", redirect: "manual", body: new URLSearchParams({ code, password: PASSWORD, repeat: PASSWORD }) });
    assert.equal(setup.status, 302, await setup.text());
    sessionCookie = setup.headers.get("set-cookie")!.split(";")[0]!;
    const overview = await fetch(`${base()}/`, { headers: { cookie: sessionCookie } });
    assert.equal(overview.status, 200);
    assert.match(await overview.text(), /pi-test/);
  });

  test("meshgate.conf took effect: hostname, joined the coordinator with its route, SSH on, secrets gone, root grown", async () => {
    assert.equal((await ssh("hostname")).stdout.trim(), "pi-test");
    const nodes = await eventually("pi-test in the coordinator's node list", 60_000, async () => {
      const list = JSON.parse(await coordinatorCli("nodes", "list", "--json")) as { name: string }[];
      return list.some((node) => node.name === "pi-test") ? list : null;
    });
    assert.equal(nodes.length, 1);
    assert.match(await coordinatorCli("routes", "list"), /pi-test[\s\S]*192\.168\.77\.0\/24/);
    const files = ["meshgate.conf", "meshgate.conf.applied"].map((name) => readFatFile(image, name)?.toString("utf8") ?? null);
    assert.equal(files[0], null, "meshgate.conf is gone from the boot partition");
    assert.match(files[1] ?? "", /auth_key = "?\(removed after first boot\)/);
    assert.doesNotMatch(files[1] ?? "", /mgauth1-/, "no auth key left on the card");
    const facts = await ssh([
      "uname -m",
      "ps -o user= -p $(systemctl show -p MainPID --value meshgate.service)",
      "stat -c %U /var/lib/meshgate/admin/admin-password",
      "cat /sys/class/block/vda2/size",
      "/opt/meshgate/current/node/bin/node -p process.arch",
      "wg show meshgate0 listen-port",
      "systemctl is-active avahi-daemon.service ssh.service",
    ].join("; "));
    const [machine, user, owner, sectors, arch, wgPort, avahi, sshd] = facts.stdout.trim().split("\n").map((line) => line.trim());
    assert.equal(machine, "aarch64");
    assert.equal(user, "meshgate", "the daemon runs as its own account");
    assert.equal(owner, "meshgate");
    assert.equal(arch, "arm64");
    assert.equal(wgPort, "41641", "the real wg tool reads the node's interface through its UAPI socket");
    assert.deepEqual([avahi, sshd], ["active", "active"], "pi-test.local by mDNS; SSH on because a key was given");
    assert.ok(Number(sectors) * 512 >= rootBytesBefore + GROWTH_BYTES - 16 * 2 ** 20, `root partition ${Number(sectors) / 2048} MiB, was ${rootBytesBefore / 2 ** 20} MiB`);
  });

  test("an update uploaded on the admin page installs into the other slot and keeps the state; a broken one rolls back by itself", async () => {
    const settings = await (await fetch(`${base()}/settings`, { headers: { cookie: sessionCookie } })).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(settings)?.[1];
    assert.ok(csrf, "the settings page has the upload form");
    const form = new FormData();
    form.set("_csrf", csrf);
    form.set("bundle", new Blob([readFileSync(goodBundle)], { type: "application/gzip" }), `meshgate-${GOOD_VERSION}-arm64.update.tar.gz`);
    const upload = await fetch(`${base()}/settings/update`, { method: "POST", redirect: "manual", headers: { cookie: sessionCookie }, body: form });
    assert.equal(upload.status, 302, await upload.text());
    assert.equal(await eventually("the new version answers", 5 * 60_000, async () => (await healthVersion()) === GOOD_VERSION && GOOD_VERSION), GOOD_VERSION);
    const installed = JSON.parse((await ssh("meshgate update status --json")).stdout) as { lastResult: { result: string; version: string } };
    assert.deepEqual([installed.lastResult.result, installed.lastResult.version], ["installed", GOOD_VERSION]);
    assert.equal((await ssh("readlink /opt/meshgate/current")).stdout.trim(), "slots/b");
    const login = await fetch(`${base()}/login`, { method: "POST", redirect: "manual", body: new URLSearchParams({ password: PASSWORD }) });
    assert.equal(login.status, 302, "the password set before the update still works");

    const broken = await ssh("meshgate update /boot/firmware/broken.tar.gz");
    assert.equal(broken.code, 1, `${broken.stdout}\n${broken.stderr}`);
    assert.match(broken.stdout + broken.stderr, /roll/i);
    assert.equal((await ssh("readlink /opt/meshgate/current")).stdout.trim(), "slots/b");
    assert.equal(await eventually("the previous version answers again", 3 * 60_000, async () => (await healthVersion()) === GOOD_VERSION && GOOD_VERSION), GOOD_VERSION);
    const status = JSON.parse((await ssh("meshgate update status --json")).stdout) as { lastResult: { result: string; version: string; reason: string } };
    assert.equal(status.lastResult.result, "rolled-back");
    assert.equal(status.lastResult.version, BROKEN_VERSION);
    assert.match(status.lastResult.reason, /stopped|not up/);
  });
});
