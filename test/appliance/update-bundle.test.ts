// Update bundles: the pure checks (update-bundle.ts) as tables, then real tar files through
// checkBundle — good, wrong arch, traversal, absolute path, escaping symlink, missing runtime,
// bad manifest — all refused before anything is installed.

import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { BundleError, bundleArch, checkBundleListing, checkManifest, checkRuntimeHeader, parseTarListing, type TarMember } from "../../src/appliance/update-bundle.js";
import { checkBundle } from "../../src/appliance/update-install.js";
import { runCommand } from "../../src/io/command-runner.js";
import { ELF_MACHINE, elfHeader, makeBundle, tempDir, type SlotContent } from "./bundle-fixtures.js";

const file = (path: string, size = 1): TarMember => ({ path, type: "file", size, linkTarget: null });
const directory = (path: string): TarMember => ({ path, type: "directory", size: 0, linkTarget: null });
const link = (path: string, target: string): TarMember => ({ path, type: "symlink", size: 0, linkTarget: target });
const GOOD: TarMember[] = [file("manifest.json"), directory("node/"), directory("node/bin/"), file("node/bin/node"), directory("app/"), file("app/dist/src/cli/main.js")];

test("the listing: the names of tar -t paired with the types, sizes and link targets of tar -tv", () => {
  const names = ["./", "./manifest.json", "./node/bin/npm", "./app/we ird -> x", "./app/hard", ""].join("\n");
  const verbose = [
    "drwxr-xr-x 0/0               0 2026-01-01 10:00:00 ./",
    "-rw-r--r-- 0/0             123 2026-01-01 10:00:00 ./manifest.json",
    "lrwxrwxrwx 0/0               0 2026-01-01 10:00:00 ./node/bin/npm -> ../lib/node_modules/npm/bin/npm-cli.js",
    "-rw-r--r-- 0/0               7 2026-01-01 10:00:00 ./app/we ird -> x",
    "hrw-r--r-- 0/0               0 2026-01-01 10:00:00 ./app/hard link to ./manifest.json",
  ].join("\n");
  assert.deepEqual(parseTarListing(names, verbose), [
    { path: "", type: "directory", size: 0, linkTarget: null },
    { path: "manifest.json", type: "file", size: 123, linkTarget: null },
    { path: "node/bin/npm", type: "symlink", size: 0, linkTarget: "../lib/node_modules/npm/bin/npm-cli.js" },
    { path: "app/we ird -> x", type: "file", size: 7, linkTarget: null },
    { path: "app/hard", type: "hardlink", size: 0, linkTarget: "manifest.json" },
  ]);
  assert.throws(() => parseTarListing("a\nb\n", "-rw-r--r-- 0/0 1 2026-01-01 10:00:00 a\n"), /two tar listings disagree/);
  assert.deepEqual(parseTarListing("dev\n", "crw-r--r-- 0/0 1,3 2026-01-01 10:00:00 dev\n")[0]!.type, "other");
});

test("listing checks: each problem refused with its reason, a good slot accepted", () => {
  assert.doesNotThrow(() => checkBundleListing(GOOD));
  assert.doesNotThrow(() => checkBundleListing([directory(""), ...GOOD, link("node/bin/npm", "../lib/npm-cli.js"), link("app/up", "../manifest.json"), link("app/x", "..")]));
  const cases: [string, TarMember[], RegExp][] = [
    ["empty", [], /the tar is empty/],
    ["traversal", [...GOOD, file("app/../../x")], /"app\/..\/..\/x" climbs out of the bundle/],
    ["traversal at the top", [...GOOD, file("../x")], /climbs out/],
    ["absolute", [...GOOD, file("/etc/passwd")], /"\/etc\/passwd" is an absolute path/],
    ["outside the three", [...GOOD, file("etc/x")], /"etc\/x" is outside manifest.json, node\/ and app\//],
    ["app as a file", [file("manifest.json"), file("app"), file("node/bin/node"), file("app/dist/src/cli/main.js")], /app is not a folder/],
    ["manifest as a link", [link("manifest.json", "app/x"), ...GOOD.slice(1)], /manifest.json is not a plain file/],
    ["device", [...GOOD, { path: "app/dev", type: "other", size: 0, linkTarget: null }], /device, fifo or other special file/],
    ["backslash", [...GOOD, file("app/a\\nb")], /needs escaping/],
    ["absolute link", [...GOOD, link("app/etc", "/etc")], /the link app\/etc points to an absolute path/],
    ["escaping link", [...GOOD, link("app/up", "../../x")], /the link app\/up points outside the bundle/],
    ["escape through another link", [...GOOD, link("app/root", ".."), link("app/out", "root/../x")], /the link app\/out points outside the bundle/],
    ["link loop", [...GOOD, link("app/a", "b"), link("app/b", "a")], /the link app\/a points outside/],
    ["member below a link", [...GOOD, link("app/lib", "../node"), file("app/lib/x")], /app\/lib\/x lies below the link app\/lib/],
    ["hard link outside", [...GOOD, { path: "app/h", type: "hardlink", size: 0, linkTarget: "../etc/shadow" }], /the hard link app\/h repeats a file outside/],
    ["missing runtime", GOOD.filter((member) => member.path !== "node/bin/node"), /node\/bin\/node is missing/],
    ["runtime as a link", [...GOOD.filter((member) => member.path !== "node/bin/node"), link("node/bin/node", "node22")], /node\/bin\/node is missing \(or not a plain file\)/],
    ["missing entry point", GOOD.filter((member) => !member.path.startsWith("app/dist")), /app\/dist\/src\/cli\/main.js is missing/],
    ["too big unpacked", [...GOOD, file("app/huge", 3 * 1024 ** 3)], /it unpacks to 32212254\d\d bytes, more than 2147483648/],
  ];
  for (const [name, members, reason] of cases) {
    assert.throws(() => checkBundleListing(members), (error: Error) => error instanceof BundleError && /^not a meshgate update bundle: /.test(error.message) && reason.test(error.message), name);
  }
});

test("the manifest: name, version, arch", () => {
  const manifest = (fields: Record<string, unknown>): string => JSON.stringify({ name: "meshgate", version: "0.1.1", arch: "arm64", node: "22.23.3", ...fields });
  assert.deepEqual(checkManifest(manifest({}), "arm64"), { name: "meshgate", version: "0.1.1", arch: "arm64", node: "22.23.3" });
  assert.equal(checkManifest(manifest({ version: "1.0.0-rc.1+build.7" }), "arm64").version, "1.0.0-rc.1+build.7");
  const cases: [string, string, RegExp][] = [
    ["not JSON", "{", /manifest.json is not JSON/],
    ["an array", "[]", /not a JSON object/],
    ["another name", manifest({ name: "other" }), /names "other", not "meshgate"/],
    ["version with a space", manifest({ version: "1 2" }), /version "1 2" is not/],
    ["version with a slash", manifest({ version: "../1" }), /version "..\/1" is not/],
    ["version too long", manifest({ version: "1".repeat(41) }), /is not 1–40/],
    ["version missing", manifest({ version: undefined }), /version undefined/],
    ["other arch", manifest({ arch: "x64" }), /it is for "x64", this machine is arm64/],
  ];
  for (const [name, text, reason] of cases) assert.throws(() => checkManifest(text, "arm64"), reason, name);
});

test("the runtime's ELF header: e_machine 183 for arm64, 62 for x64, little- or big-endian", () => {
  assert.doesNotThrow(() => checkRuntimeHeader(elfHeader(ELF_MACHINE.arm64), "arm64"));
  assert.doesNotThrow(() => checkRuntimeHeader(elfHeader(ELF_MACHINE.x64), "x64"));
  assert.throws(() => checkRuntimeHeader(elfHeader(ELF_MACHINE.x64), "arm64"), /node\/bin\/node is built for x64, this machine is arm64/);
  assert.throws(() => checkRuntimeHeader(elfHeader(40), "arm64"), /built for ELF machine 40/);
  const bigEndian = elfHeader(0);
  bigEndian[5] = 2;
  bigEndian.writeUInt16BE(183, 18);
  assert.doesNotThrow(() => checkRuntimeHeader(bigEndian, "arm64"));
  assert.throws(() => checkRuntimeHeader(Buffer.from("#!/bin/sh\nexec node\n"), "arm64"), /not an ELF executable/);
  assert.throws(() => checkRuntimeHeader(elfHeader(183).subarray(0, 10), "arm64"), /not an ELF executable/);
  assert.equal(bundleArch("arm64"), "arm64");
  assert.equal(bundleArch("arm"), null);
});

test("real bundles through checkBundle: a good one passes, each bad one is refused with its reason", async () => {
  const temp = tempDir();
  try {
    let n = 0;
    const check = async (content: SlotContent, tarArguments: readonly string[] = [], members?: readonly string[]) => {
      const work = join(temp.path, `work${++n}`);
      mkdirSync(work);
      const bundle = makeBundle(join(temp.path, `b${n}.tar.gz`), content, tarArguments, members);
      return checkBundle(bundle, work, { arch: "arm64", run: runCommand });
    };
    assert.deepEqual(await check({ symlinks: { "node/bin/npm": "../lib/node_modules/npm/bin/npm-cli.js" } }), { name: "meshgate", version: "0.1.1", arch: "arm64", node: "22.23.3" });
    const cases: [string, () => Promise<unknown>, RegExp][] = [
      ["wrong arch", () => check({ machine: ELF_MACHINE.x64 }), /node\/bin\/node is built for x64, this machine is arm64/],
      ["manifest for x64", () => check({ manifest: JSON.stringify({ name: "meshgate", version: "0.1.1", arch: "x64" }) }), /it is for "x64"/],
      ["traversal", () => check({ files: { "app/evil": "x" } }, ["-P", "--transform", "s,^app/evil$,../evil,"]), /"..\/evil" climbs out of the bundle/],
      ["absolute path", () => check({ files: { "app/evil": "x" } }, ["-P", "--transform", "s,^app/evil$,/tmp/evil,"]), /"\/tmp\/evil" is an absolute path/],
      ["escaping symlink", () => check({ symlinks: { "app/etc": "../../../../etc" } }), /the link app\/etc points outside the bundle \(..\/..\/..\/..\/etc\)/],
      ["absolute symlink", () => check({ symlinks: { "app/etc": "/etc" } }), /the link app\/etc points to an absolute path/],
      ["missing node", () => check({ omit: ["node/bin/node"] }), /node\/bin\/node is missing/],
      ["bad manifest", () => check({ manifest: "{\"name\":\"meshgate\"," }), /manifest.json is not JSON/],
      ["no manifest", () => check({ omit: ["manifest.json"] }), /manifest.json is missing/],
      ["an extra top-level file", () => check({ files: { "README": "x" } }, [], ["manifest.json", "node", "app", "README"]), /"README" is outside manifest.json, node\/ and app\//],
    ];
    for (const [name, run, reason] of cases) {
      await assert.rejects(run, (error: Error) => error instanceof BundleError && reason.test(error.message), name);
    }
    await assert.rejects(checkBundle(join(temp.path, "b1.tar.gz"), join(temp.path, "work1"), { arch: "x64", run: runCommand }), /it is for "arm64", this machine is x64/);
    const notGzip = join(temp.path, "plain.txt");
    (await import("node:fs")).writeFileSync(notGzip, "hello");
    mkdirSync(join(temp.path, "workz"));
    await assert.rejects(checkBundle(notGzip, join(temp.path, "workz"), { arch: "arm64", run: runCommand }), /not a meshgate update bundle: tar -tzf failed/);
  } finally {
    temp.remove();
  }
});
