// `meshgate appliance first-boot`: applies meshgate.conf from the boot partition, once. A root
// oneshot runs it before meshgate.service on every boot; without the file it does nothing.
//
// 1. No <boot>/meshgate.conf: nothing changes.
// 2. Parse it (first-boot-config.ts). Any problem: <boot>/meshgate-config-errors.txt and the
//    report say which lines, the file stays for the person to fix, nothing is applied.
// 3. Apply, each step idempotent, a failing step reported without stopping the rest:
//    hostname, admin password, coordinator, routing, Wi-Fi, SSH; then hand what was written
//    under the state directory to the daemon's user.
// 4. Take the secrets off the FAT: meshgate.conf.applied keeps the file without them, and
//    meshgate.conf goes (a FAT partition is readable by anyone holding the card).
// 5. <state>/appliance/first-boot.json for the admin page; a summary without secrets on stdout.
//
// Every path is a parameter (`root` prefixes /etc and /root), and commands go through `run`, so
// tests apply it to a temporary directory as a normal user.

import { chmodSync, closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { FirstBootReport } from "../admin/admin-api.js";
import { hashPassword } from "../admin/password.js";
import { saveRoutingPrefsChange } from "../mesh/routing-prefs.js";
import { saveAdminPasswordHash } from "../store/admin-password-file.js";
import { openNodeStore } from "../store/node-store.js";
import { fsyncDirectory, writeSecretFile } from "../store/secret-file.js";
import { CONFIG_FILE_NAME, formatConfigProblem, parseFirstBootConfig, redactFirstBootConfig, type FirstBootSettings } from "./first-boot-config.js";
import { applianceDirectory, writeFirstBootReport } from "./first-boot-report.js";
import { sshKeyIdentity } from "./ssh-public-key.js";
import { wpaSupplicantConfig } from "./wifi.js";

export const ERRORS_FILE_NAME = "meshgate-config-errors.txt";
export const APPLIED_FILE_NAME = "meshgate.conf.applied";
export const WIFI_SERVICE = "wpa_supplicant@wlan0.service";
export const SSH_SERVICE = "ssh.service";

/** Runs a program (execFile, no shell); rejects with a message when it cannot or it fails. */
export type CommandRunner = (file: string, args: readonly string[]) => Promise<void>;

export interface FirstBootDeps {
  readonly bootDir: string; // /boot/firmware
  readonly root: string; // "/" on the Pi
  readonly stateDir: string; // /var/lib/meshgate, as the daemon is given it
  readonly owner: string; // the daemon's user, looked up in <root>/etc/passwd
  readonly run: CommandRunner;
  // null: leave ownership as it is (a test run as a normal user).
  readonly chown: ((path: string, uid: number, gid: number) => void) | null;
  readonly random: (bytes: number) => Uint8Array;
  readonly now: () => Date;
  readonly write: (line: string) => void;
}

// Writes `text` and fsyncs it before the caller goes on (power may go at any moment on a Pi).
function writeDurable(path: string, text: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, "w", mode);
  try {
    writeFileSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(path, mode); // an existing file keeps its mode otherwise
}

const readIfThere = (path: string): string | null => (existsSync(path) ? readFileSync(path, "utf8") : null);

// /etc/hostname, the 127.0.1.1 line of /etc/hosts (Debian's line for the machine's own name), and the running kernel's name.
async function applyHostname(deps: FirstBootDeps, name: string): Promise<void> {
  writeDurable(join(deps.root, "etc/hostname"), `${name}\n`, 0o644);
  const hostsPath = join(deps.root, "etc/hosts");
  const lines = (readIfThere(hostsPath) ?? "127.0.0.1\tlocalhost\n").replace(/\n$/, "").split("\n");
  const own = `127.0.1.1\t${name}`;
  const kept = lines.filter((line) => !/^127\.0\.1\.1\s/.test(line));
  const at = lines.findIndex((line) => /^127\.0\.1\.1\s/.test(line));
  kept.splice(at < 0 ? kept.length : at, 0, own);
  writeDurable(hostsPath, `${kept.join("\n")}\n`, 0o644);
  await deps.run("hostname", [name]);
}

async function applyAdminPassword(deps: FirstBootDeps, password: NonNullable<FirstBootSettings["adminPassword"]>): Promise<void> {
  const line = password.kind === "hash" ? password.line : await hashPassword(password.password, deps.random);
  saveAdminPasswordHash(join(deps.stateDir, "admin"), line);
}

// The key in a 0600 file, and the flags meshgate.service adds to `meshgate start` (its
// EnvironmentFile): the key itself is never on a command line.
function applyCoordinator(deps: FirstBootDeps, coordinator: NonNullable<FirstBootSettings["coordinator"]>): void {
  const directory = applianceDirectory(deps.stateDir);
  const keyFile = join(directory, "auth-key");
  writeSecretFile(keyFile, Buffer.from(`${coordinator.authKey}\n`), "auth key file");
  const env = [
    `# Written by meshgate appliance first-boot from ${CONFIG_FILE_NAME}: meshgate.service adds these to meshgate start.`,
    `MESHGATE_START_ARGS="--coordinator ${coordinator.url} --auth-key-file ${keyFile}"`,
    "",
  ].join("\n");
  writeDurable(join(directory, "start.env"), env, 0o644);
}

// The node takes the saved prefs when it starts, as if `meshgate up` had been given the flags.
function applyRouting(deps: FirstBootDeps, settings: FirstBootSettings): void {
  const store = openNodeStore(join(deps.stateDir, "node", "node.db"));
  try {
    saveRoutingPrefsChange(store, settings.routing);
  } finally {
    store.close();
  }
}

// At boot this runs before the network is up, and sshd and wpa_supplicant@ are ordered after
// it: waiting for their start from here would wait for ourselves (systemctl gives up with an
// error), so the start is queued and happens once this unit has finished.
const ENABLE_AND_QUEUE_START = ["enable", "--now", "--no-block"];

async function applyWifi(deps: FirstBootDeps, wifi: NonNullable<FirstBootSettings["wifi"]>): Promise<void> {
  const path = join(deps.root, "etc/wpa_supplicant/wpa_supplicant-wlan0.conf");
  writeSecretFile(path, Buffer.from(wpaSupplicantConfig(wifi)), "Wi-Fi settings file");
  await deps.run("systemctl", [...ENABLE_AND_QUEUE_START, WIFI_SERVICE]);
}

async function applySsh(deps: FirstBootDeps, keys: readonly string[]): Promise<void> {
  const directory = join(deps.root, "root/.ssh");
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  chmodSync(directory, 0o700);
  const path = join(directory, "authorized_keys");
  const current = readIfThere(path) ?? "";
  const present = new Set(current.split("\n").map(sshKeyIdentity));
  const added = keys.filter((key) => !present.has(sshKeyIdentity(key)));
  const text = current === "" || current.endsWith("\n") ? current : `${current}\n`;
  writeDurable(path, text + added.map((key) => `${key}\n`).join(""), 0o600);
  await deps.run("ssh-keygen", ["-A"]);
  await deps.run("systemctl", [...ENABLE_AND_QUEUE_START, SSH_SERVICE]);
}


function ownerIds(root: string, user: string): { uid: number; gid: number } {
  const passwd = readIfThere(join(root, "etc/passwd")) ?? "";
  const entry = passwd.split("\n").map((line) => line.split(":")).find((fields) => fields[0] === user);
  if (entry === undefined || !/^\d+$/.test(entry[2] ?? "") || !/^\d+$/.test(entry[3] ?? "")) throw new Error(`no user "${user}" in ${join(root, "etc/passwd")}`);
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

// The state directory and what this run may have written in it, to the daemon's user.
function giveStateToOwner(deps: FirstBootDeps, chown: NonNullable<FirstBootDeps["chown"]>): void {
  const { uid, gid } = ownerIds(deps.root, deps.owner);
  const walk = (path: string): void => {
    if (!existsSync(path)) return;
    const stats = lstatSync(path);
    if (stats.isSymbolicLink()) return;
    chown(path, uid, gid);
    if (stats.isDirectory()) for (const name of readdirSync(path)) walk(join(path, name));
  };
  chown(deps.stateDir, uid, gid);
  for (const name of ["admin", "appliance", "node"]) walk(join(deps.stateDir, name));
}

// meshgate.conf.applied (the file without its secrets), then meshgate.conf goes.
function removeSecretsFromBoot(deps: FirstBootDeps, text: string, at: string): void {
  const newline = text.includes("\r\n") ? "\r\n" : "\n";
  const header = [
    `# Applied by meshgate at first boot, ${at}. Passwords and keys were removed.`,
    `# This file is not read again: to change settings, write a new ${CONFIG_FILE_NAME}.`,
    "",
  ].join(newline);
  writeDurable(join(deps.bootDir, APPLIED_FILE_NAME), header + redactFirstBootConfig(text), 0o644);
  rmSync(join(deps.bootDir, CONFIG_FILE_NAME));
  rmSync(join(deps.bootDir, ERRORS_FILE_NAME), { force: true });
  fsyncDirectory(deps.bootDir);
}

async function step(name: string, work: () => void | Promise<void>, applied: string[], failed: { step: string; message: string }[]): Promise<void> {
  try {
    await work();
    applied.push(name);
  } catch (error) {
    failed.push({ step: name, message: error instanceof Error ? error.message : String(error) });
  }
}

/** Applies <boot>/meshgate.conf if it is there; the report written (null: there was no file). Never throws for the file's content. */
export async function runFirstBoot(deps: FirstBootDeps): Promise<FirstBootReport | null> {
  const configPath = join(deps.bootDir, CONFIG_FILE_NAME);
  const text = readIfThere(configPath);
  if (text === null) return null;
  const at = deps.now().toISOString();
  mkdirSync(applianceDirectory(deps.stateDir), { recursive: true, mode: 0o755 });
  const parsed = parseFirstBootConfig(text);

  if ("errors" in parsed) {
    const lines = parsed.errors.map(formatConfigProblem);
    const advice = `Nothing in ${CONFIG_FILE_NAME} was applied. Fix the lines above in ${CONFIG_FILE_NAME} on the SD card's boot partition and start the Pi again.`;
    writeDurable(join(deps.bootDir, ERRORS_FILE_NAME), `${[`# ${at}`, ...lines, "", advice].join("\r\n")}\r\n`, 0o644);
    const report: FirstBootReport = { result: "error", at, errors: parsed.errors };
    writeFirstBootReport(deps.stateDir, report);
    if (deps.chown !== null) await step("file ownership", () => giveStateToOwner(deps, deps.chown!), [], []);
    for (const line of [...lines, advice]) deps.write(line);
    return report;
  }

  const { settings } = parsed;
  const applied: string[] = [];
  const failed: { step: string; message: string }[] = [];
  if (settings.hostname !== null) await step("hostname", () => applyHostname(deps, settings.hostname!), applied, failed);
  if (settings.adminPassword !== null) await step("admin password", () => applyAdminPassword(deps, settings.adminPassword!), applied, failed);
  if (settings.coordinator !== null) await step("coordinator", () => applyCoordinator(deps, settings.coordinator!), applied, failed);
  if (Object.keys(settings.routing).length > 0) await step("routing", () => applyRouting(deps, settings), applied, failed);
  if (settings.wifi !== null) await step("wifi", () => applyWifi(deps, settings.wifi!), applied, failed);
  if (settings.sshAuthorizedKeys.length > 0) await step("ssh", () => applySsh(deps, settings.sshAuthorizedKeys), applied, failed);
  if (deps.chown !== null) await step("file ownership", () => giveStateToOwner(deps, deps.chown!), [], failed);
  await step("secrets removed from the boot partition", () => removeSecretsFromBoot(deps, text, at), [], failed);

  const report: FirstBootReport = { result: "applied", at, applied, failed };
  writeFirstBootReport(deps.stateDir, report);
  // The report itself (a failure here was already reported by the pass above).
  if (deps.chown !== null) await step("file ownership", () => giveStateToOwner(deps, deps.chown!), [], []);
  deps.write(`${CONFIG_FILE_NAME} applied: ${applied.length === 0 ? "nothing to change" : applied.join(", ")}`);
  for (const failure of failed) deps.write(`${CONFIG_FILE_NAME}: ${failure.step} failed: ${failure.message}`);
  return report;
}
