// `meshgate appliance first-boot` in a temporary root: what it writes and with which modes, the
// commands it runs, the secrets gone from the boot partition, a second run changing nothing, a
// wrong file changing nothing at all, and a failing step not stopping the others.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { runFirstBoot, type FirstBootDeps } from "../../src/appliance/first-boot.js";
import { readFirstBootReport } from "../../src/appliance/first-boot-report.js";
import { verifyPassword } from "../../src/admin/password.js";
import { loadRoutingPrefs, ROUTING_PREFS_SETTING } from "../../src/mesh/routing-prefs.js";
import { openNodeStore } from "../../src/store/node-store.js";
import { scratchDirectory } from "../store/scratch-directory.js";
import { ECDSA, ED25519, HASH } from "./ssh-key-lines.js";

const AT = new Date("2025-05-01T12:00:00.000Z");

function setUp(t: TestContext, conf: string | null, options: { failing?: string } = {}) {
  const base = scratchDirectory(t);
  const [bootDir, root, stateDir] = ["boot", "root", "state"].map((name) => join(base, name)) as [string, string, string];
  mkdirSync(bootDir);
  mkdirSync(join(root, "etc"), { recursive: true });
  writeFileSync(join(root, "etc/hosts"), "127.0.0.1\tlocalhost\n127.0.1.1\traspberrypi\n::1\tlocalhost ip6-localhost\n");
  writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/bash\nmeshgate:x:998:997::/var/lib/meshgate:/usr/sbin/nologin\n");
  if (conf !== null) writeFileSync(join(bootDir, "meshgate.conf"), conf);
  const commands: string[] = [];
  const chowned = new Map<string, string>();
  const output: string[] = [];
  const deps: FirstBootDeps = {
    bootDir, root, stateDir, owner: "meshgate",
    run: async (file, args) => {
      const line = [file, ...args].join(" ");
      if (options.failing !== undefined && line.startsWith(options.failing)) throw new Error(`${file}: not found`);
      commands.push(line);
    },
    chown: (path, uid, gid) => void chowned.set(path.slice(stateDir.length) || "/", `${uid}:${gid}`),
    random: (bytes) => randomBytes(bytes),
    now: () => AT,
    write: (line) => void output.push(line),
  };
  return { deps, bootDir, root, stateDir, commands, chowned, output };
}

const mode = (path: string): number => statSync(path).mode & 0o777;

const FULL = [
  "\uFEFFhostname = Garden-Pi",
  'admin_password = "correct horse battery"',
  "coordinator = https://mesh.example.org",
  "auth_key = mk_topsecret_key",
  "advertise_routes = 192.168.1.0/24",
  "advertise_exit_node = yes",
  "wifi_country = gb",
  "wifi_ssid = IEEE",
  "wifi_password = password",
  `ssh_authorized_key = ${ED25519}`,
  `ssh_authorized_key = ${ECDSA}`,
  "",
].join("\r\n");

test("no meshgate.conf: nothing happens", async (t) => {
  const { deps, stateDir, commands, output } = setUp(t, null);
  assert.equal(await runFirstBoot(deps), null);
  assert.equal(existsSync(stateDir), false);
  assert.deepEqual([commands, output], [[], []]);
});

test("a valid file is applied: hostname, password, coordinator, routing, Wi-Fi, SSH; the card keeps no secret", async (t) => {
  const { deps, bootDir, root, stateDir, commands, chowned, output } = setUp(t, FULL);
  const report = await runFirstBoot(deps);
  assert.deepEqual(report, { result: "applied", at: AT.toISOString(), applied: ["hostname", "admin password", "coordinator", "routing", "wifi", "ssh"], failed: [] });
  assert.deepEqual(readFirstBootReport(stateDir), report);

  assert.equal(readFileSync(join(root, "etc/hostname"), "utf8"), "garden-pi\n");
  assert.equal(readFileSync(join(root, "etc/hosts"), "utf8"), "127.0.0.1\tlocalhost\n127.0.1.1\tgarden-pi\n::1\tlocalhost ip6-localhost\n");

  const passwordFile = join(stateDir, "admin/admin-password");
  assert.equal(mode(passwordFile), 0o600);
  assert.equal(await verifyPassword("correct horse battery", readFileSync(passwordFile, "utf8")), true);

  assert.equal(readFileSync(join(stateDir, "appliance/auth-key"), "utf8"), "mk_topsecret_key\n");
  assert.equal(mode(join(stateDir, "appliance/auth-key")), 0o600);
  assert.match(readFileSync(join(stateDir, "appliance/start.env"), "utf8"),
    new RegExp(`^MESHGATE_START_ARGS="--coordinator https://mesh.example.org --auth-key-file ${stateDir}/appliance/auth-key"$`, "m"));

  const store = openNodeStore(join(stateDir, "node/node.db"));
  const prefs = loadRoutingPrefs(store.getSetting(ROUTING_PREFS_SETTING));
  store.close();
  assert.deepEqual([prefs.advertiseRoutes, prefs.advertiseExitNode, prefs.acceptRoutes], [["192.168.1.0/24"], true, true]);

  const wifi = join(root, "etc/wpa_supplicant/wpa_supplicant-wlan0.conf");
  assert.equal(mode(wifi), 0o600);
  assert.match(readFileSync(wifi, "utf8"), /^country=GB$[^]*psk=f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e$/m);

  assert.equal(mode(join(root, "root/.ssh")), 0o700);
  assert.equal(mode(join(root, "root/.ssh/authorized_keys")), 0o600);
  assert.equal(readFileSync(join(root, "root/.ssh/authorized_keys"), "utf8"), `${ED25519}\n${ECDSA}\n`);

  assert.deepEqual(commands, ["hostname garden-pi", "systemctl enable --now --no-block wpa_supplicant@wlan0.service", "ssh-keygen -A", "systemctl enable --now --no-block ssh.service"]);
  for (const path of ["/", "/admin", "/admin/admin-password", "/appliance", "/appliance/auth-key", "/appliance/start.env", "/appliance/first-boot.json", "/node", "/node/node.db"]) {
    assert.equal(chowned.get(path), "998:997", `${path} is given to meshgate`);
  }

  assert.deepEqual(readdirSync(bootDir), ["meshgate.conf.applied"]);
  const applied = readFileSync(join(bootDir, "meshgate.conf.applied"), "utf8");
  assert.match(applied, /^# Applied by meshgate at first boot, 2025-05-01T12:00:00.000Z\. Passwords and keys were removed\.\r\n/);
  assert.match(applied, /\r\nadmin_password = \(removed after first boot\)\r\n/);
  assert.match(applied, /\r\nhostname = Garden-Pi\r\n/);
  for (const secret of ["correct horse", "mk_topsecret", "wifi_password = password"]) {
    assert.ok(!applied.includes(secret), `${secret} is gone from the card`);
    assert.ok(!output.join("\n").includes(secret), `${secret} is not printed`);
    assert.ok(!readFileSync(join(stateDir, "appliance/first-boot.json"), "utf8").includes(secret));
  }
  assert.deepEqual(output, ["meshgate.conf applied: hostname, admin password, coordinator, routing, wifi, ssh"]);
});

test("applying the same file again changes nothing more (keys are not added twice)", async (t) => {
  const { deps, bootDir, root, stateDir } = setUp(t, FULL);
  await runFirstBoot(deps);
  const files = ["etc/hostname", "etc/hosts", "etc/wpa_supplicant/wpa_supplicant-wlan0.conf", "root/.ssh/authorized_keys"].map((path) => join(root, path));
  const before = files.map((path) => readFileSync(path, "utf8"));
  const env = readFileSync(join(stateDir, "appliance/start.env"), "utf8");
  writeFileSync(join(bootDir, "meshgate.conf"), FULL.replace(ED25519, `${ED25519.split(" ").slice(0, 2).join(" ")} another-comment`));
  const report = await runFirstBoot(deps);
  assert.equal(report?.result, "applied");
  assert.deepEqual(files.map((path) => readFileSync(path, "utf8")), before);
  assert.equal(readFileSync(join(stateDir, "appliance/start.env"), "utf8"), env);
});

test("existing authorized keys stay; new ones are appended", async (t) => {
  const { deps, root } = setUp(t, `ssh_authorized_key = ${ECDSA}\n`);
  mkdirSync(join(root, "root/.ssh"), { recursive: true, mode: 0o755 });
  writeFileSync(join(root, "root/.ssh/authorized_keys"), ED25519); // no final newline
  await runFirstBoot(deps);
  assert.equal(readFileSync(join(root, "root/.ssh/authorized_keys"), "utf8"), `${ED25519}\n${ECDSA}\n`);
  assert.equal(mode(join(root, "root/.ssh")), 0o700);
});

test("a file with errors: nothing is applied, the card says which lines, meshgate.conf stays", async (t) => {
  const conf = "hostname = my_pi\r\nadmin_password = long enough password\r\nauth_key = k\r\nhostnme = x\r\n";
  const { deps, bootDir, root, stateDir, commands, output } = setUp(t, conf);
  const report = await runFirstBoot(deps);
  assert.equal(report?.result, "error");
  assert.deepEqual(readFirstBootReport(stateDir), report);
  const lines = [
    'meshgate.conf line 1 (hostname): "my_pi" is not a valid hostname: use letters, digits and "-"',
    "meshgate.conf line 3 (auth_key): auth_key needs coordinator (the URL of the coordinator the key is from)",
    'meshgate.conf line 4: unknown setting "hostnme" (did you mean "hostname"?)',
  ];
  assert.deepEqual(output.slice(0, 3), lines);
  assert.match(output[3]!, /^Nothing in meshgate\.conf was applied\. Fix the lines above/);
  const errorsFile = readFileSync(join(bootDir, "meshgate-config-errors.txt"), "utf8");
  for (const line of lines) assert.ok(errorsFile.includes(`${line}\r\n`));
  assert.match(errorsFile, /Nothing in meshgate\.conf was applied/);
  assert.equal(readFileSync(join(bootDir, "meshgate.conf"), "utf8"), conf);
  assert.deepEqual(commands, []);
  assert.equal(existsSync(join(root, "etc/hostname")), false);
  assert.deepEqual(readdirSync(stateDir), ["appliance"]);
  assert.deepEqual(readdirSync(join(stateDir, "appliance")), ["first-boot.json"]);

  // Fixed: applied, and the stale errors file goes.
  writeFileSync(join(bootDir, "meshgate.conf"), "hostname = my-pi\n");
  assert.equal((await runFirstBoot(deps))?.result, "applied");
  assert.deepEqual(readdirSync(bootDir), ["meshgate.conf.applied"]);
});

test("a failing step is reported and the others still run", async (t) => {
  const { deps, root, stateDir, commands, output } = setUp(t, FULL, { failing: "systemctl enable --now --no-block wpa_supplicant" });
  const report = await runFirstBoot(deps);
  assert.deepEqual(report, {
    result: "applied", at: AT.toISOString(),
    applied: ["hostname", "admin password", "coordinator", "routing", "ssh"],
    failed: [{ step: "wifi", message: "systemctl: not found" }],
  });
  assert.ok(existsSync(join(root, "root/.ssh/authorized_keys")));
  assert.ok(commands.includes("systemctl enable --now --no-block ssh.service"));
  assert.deepEqual(readFirstBootReport(stateDir), report);
  assert.deepEqual(output, ["meshgate.conf applied: hostname, admin password, coordinator, routing, ssh", "meshgate.conf: wifi failed: systemctl: not found"]);
});

test("a given hash is stored as it is, and the setup code goes", async (t) => {
  const { deps, stateDir } = setUp(t, `admin_password_hash = ${HASH}\n`);
  mkdirSync(join(stateDir, "admin"), { recursive: true });
  writeFileSync(join(stateDir, "admin/setup-code"), "ABCD-EFGH\n", { mode: 0o600 });
  await runFirstBoot(deps);
  assert.equal(readFileSync(join(stateDir, "admin/admin-password"), "utf8"), `${HASH}\n`);
  assert.equal(existsSync(join(stateDir, "admin/setup-code")), false);
});

test("a report that is not one reads as none (the page must not fail over it)", (t) => {
  const stateDir = scratchDirectory(t);
  assert.equal(readFirstBootReport(stateDir), null);
  mkdirSync(join(stateDir, "appliance"));
  for (const text of ["{", "[]", '{"result":"applied","at":"x"}', '{"result":"other","at":"x"}']) {
    writeFileSync(join(stateDir, "appliance/first-boot.json"), text);
    assert.equal(readFirstBootReport(stateDir), null, text);
  }
});
