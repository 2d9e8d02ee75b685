// The fetch of trixie's wireguard-go, without the network: the private apt configuration
// points only into the cache folder, and an unpacked binary is reused as it is.

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { modernWireguardGo, privateAptOptions, trixieSourcesList } from "./modern-wireguard-go.js";
import { parseWireguardGoVersion } from "./wireguard-go-version.js";

describe("private apt configuration", () => {
  test("every directory and file apt is pointed at lies in the cache folder", () => {
    const options = privateAptOptions("/cache/apt");
    const paths = options.filter((arg) => arg.includes("=/")).map((arg) => arg.split("=")[1]!);
    assert.ok(paths.length >= 6);
    for (const path of paths) assert.ok(path.startsWith("/cache/apt/"), path);
    for (const key of ["Dir::Etc::SourceList", "Dir::Etc::SourceParts", "Dir::State::Lists", "Dir::Cache"]) {
      assert.ok(options.some((arg) => arg.startsWith(`${key}=`)), key);
    }
  });

  test("an update that fails to fetch is an error, not a warning", () => {
    assert.ok(privateAptOptions("/c").includes("APT::Update::Error-Mode=any"));
  });

  test("one source: trixie main, verified with Debian's archive keyring", () => {
    assert.equal(trixieSourcesList(), "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian trixie main\n");
  });
});

test("an unpacked binary and its version are reused without apt", async () => {
  const cache = mkdtempSync(join(tmpdir(), "meshgate-wggo-cache-"));
  try {
    mkdirSync(join(cache, "usr/bin"), { recursive: true });
    writeFileSync(join(cache, "usr/bin/wireguard-go"), "");
    writeFileSync(join(cache, "package-version"), "9.9-test\n");
    assert.deepEqual(await modernWireguardGo(cache), { binary: join(cache, "usr/bin/wireguard-go"), packageVersion: "9.9-test" });
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

describe("parseWireguardGoVersion", () => {
  test("the version on the first line", () => {
    assert.equal(parseWireguardGoVersion("wireguard-go v0.0.20220316\n\nUserspace WireGuard daemon for linux-amd64.\n"), "0.0.20220316");
  });
  test("anything else is an error", () => {
    assert.throws(() => parseWireguardGoVersion("command not found"), /unexpected/);
  });
});
