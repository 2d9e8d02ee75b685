// A modern wireguard-go for the tunnel benchmark, fetched but never installed: Debian trixie's
// `wireguard-go` package (TUN offloads, UDP GSO/GRO, which bookworm's 0.0.20220316 lacks),
// unpacked into a git-ignored cache folder of the repository.
//
// 1. If <cache>/usr/bin/wireguard-go and <cache>/package-version exist, use them (no network).
// 2. Write a private apt configuration in <cache>/apt: a sources list with only trixie main,
//    its own lists, archive cache and (empty) preferences, so nothing under /etc/apt is read
//    for sources or pins, nor written. Trixie's Release file is signed by the trixie archive
//    keys that bookworm's debian-archive-keyring already ships, so it is verified against
//    /usr/share/keyrings/debian-archive-keyring.gpg like any other Debian suite.
// 3. `apt-get update` then `apt-get download wireguard-go` (the .deb's hash is checked against
//    the signed index) into <cache>/deb.
// 4. `dpkg-deb -x` into a scratch folder, then rename its usr/ into <cache>, so an interrupted
//    run never leaves a half-written binary where step 1 would trust it.
//
// Every failure throws WireguardGoFetchError naming the command that failed.

import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const MODERN_WIREGUARD_GO_CACHE = fileURLToPath(new URL("../../../test-output/cache/wireguard-go-trixie/", import.meta.url));

const SUITE = "trixie";
const MIRROR = "http://deb.debian.org/debian";
const KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg";
const PACKAGE = "wireguard-go";

export interface ModernWireguardGo {
  readonly binary: string;
  readonly packageVersion: string; // Debian's version of the package, e.g. 0.0.20231211-1+b9
}

export class WireguardGoFetchError extends Error {
  constructor(readonly command: readonly string[], detail: string) {
    super(`cannot fetch Debian ${SUITE}'s ${PACKAGE} (a required baseline of this benchmark): \`${command.join(" ")}\` failed: ${detail}`);
    this.name = "WireguardGoFetchError";
  }
}

// The -o options that point apt-get at the private configuration under `aptDir` and nowhere
// else for sources, pins, lists and downloaded archives.
export function privateAptOptions(aptDir: string): string[] {
  const settings: Record<string, string> = {
    "Dir::Etc::SourceList": join(aptDir, "sources.list"),
    "Dir::Etc::SourceParts": join(aptDir, "sources.list.d"),
    "Dir::Etc::Preferences": join(aptDir, "preferences"),
    "Dir::Etc::PreferencesParts": join(aptDir, "preferences.d"),
    "Dir::State": join(aptDir, "state"),
    "Dir::State::Lists": join(aptDir, "lists"),
    "Dir::State::status": join(aptDir, "status"),
    "Dir::Cache": join(aptDir, "cache"),
    // Offline or a mirror error must fail the update, not leave a warning and stale lists.
    "APT::Update::Error-Mode": "any",
    // The cache folder belongs to root, and `apt-get download` writes into the working
    // directory, which apt's unprivileged _apt user cannot; the .deb is still hash-checked.
    "APT::Sandbox::User": "root",
  };
  return Object.entries(settings).flatMap(([key, value]) => ["-o", `${key}=${value}`]);
}

export function trixieSourcesList(): string {
  return `deb [signed-by=${KEYRING}] ${MIRROR} ${SUITE} main\n`;
}

function runChecked(command: string, args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, [...args], { cwd, timeout: 300_000, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new WireguardGoFetchError([command, ...args], stderr.trim() || error.message));
      else resolve(stdout);
    });
  });
}

function writePrivateAptConfiguration(aptDir: string): void {
  for (const dir of ["sources.list.d", "preferences.d", "state", "lists/partial", "cache/archives/partial"]) {
    mkdirSync(join(aptDir, dir), { recursive: true });
  }
  writeFileSync(join(aptDir, "sources.list"), trixieSourcesList());
  writeFileSync(join(aptDir, "preferences"), "");
  writeFileSync(join(aptDir, "status"), ""); // nothing "installed": apt only resolves downloads
}

export async function modernWireguardGo(cache: string = MODERN_WIREGUARD_GO_CACHE): Promise<ModernWireguardGo> {
  const binary = join(cache, "usr/bin", PACKAGE);
  const versionFile = join(cache, "package-version");
  if (existsSync(binary) && existsSync(versionFile)) {
    return { binary, packageVersion: readFileSync(versionFile, "utf8").trim() };
  }

  const aptDir = join(cache, "apt");
  const debDir = join(cache, "deb");
  writePrivateAptConfiguration(aptDir);
  rmSync(debDir, { recursive: true, force: true });
  mkdirSync(debDir, { recursive: true });
  const apt = privateAptOptions(aptDir);
  await runChecked("apt-get", [...apt, "update"], cache);
  await runChecked("apt-get", [...apt, "download", PACKAGE], debDir);
  const deb = readdirSync(debDir).find((name) => name.endsWith(".deb"));
  if (deb === undefined) throw new WireguardGoFetchError(["apt-get", "download", PACKAGE], `no .deb appeared in ${debDir}`);
  const debPath = join(debDir, deb);
  const packageVersion = (await runChecked("dpkg-deb", ["--field", debPath, "Version"], cache)).trim();

  const scratch = join(cache, "unpack.tmp");
  rmSync(scratch, { recursive: true, force: true });
  await runChecked("dpkg-deb", ["-x", debPath, scratch], cache);
  rmSync(join(cache, "usr"), { recursive: true, force: true });
  renameSync(join(scratch, "usr"), join(cache, "usr"));
  rmSync(scratch, { recursive: true, force: true });
  writeFileSync(versionFile, `${packageVersion}\n`);
  return { binary, packageVersion };
}
