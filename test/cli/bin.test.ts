// The README tells users to run `npx meshgate …` in a fresh clone after `npm install`: the
// installed bin must run that way (npm execs the bin file itself, so it needs its execute bit
// and its #! line), not only as `node dist/src/cli/main.js`.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DAEMON_NODE_FLAGS } from "../../src/cli/daemon-node-flags.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string; bin: { meshgate: string } };

test("the bin file is executable and starts with a node #! line carrying the daemon's node flags", () => {
  const bin = join(ROOT, manifest.bin.meshgate);
  assert.equal(statSync(bin).mode & 0o111, 0o111, `${manifest.bin.meshgate} is executable by everyone`);
  assert.equal(readFileSync(bin, "utf8").split("\n")[0]!, `#!/usr/bin/env -S node ${DAEMON_NODE_FLAGS.join(" ")}`);
  const start = (manifest as unknown as { scripts: { start: string } }).scripts.start;
  for (const flag of DAEMON_NODE_FLAGS) assert.ok(start.split(" ").includes(flag), `npm start passes ${flag}`);
  const wrapper = readFileSync(join(ROOT, "image/rootfs/usr/local/bin/meshgate"), "utf8");
  assert.match(wrapper, new RegExp(`^node_flags=${DAEMON_NODE_FLAGS.join(" ")}$`, "m"), "the Raspberry Pi image's wrapper passes them too");
});

test("`npx meshgate version` and `npx meshgate help` work from the project folder, as the README writes them", async () => {
  // On a machine whose npx cache has not seen this project yet (a fresh CI machine), npx links
  // it into the cache and runs its prepare and install scripts: `rm -rf dist` and a node-gyp
  // rebuild of the addon, under the feet of the test files still to run. What is under test is
  // the bin as installed, so no scripts.
  const env = { ...process.env, npm_config_ignore_scripts: "true" };
  const npx = (args: string[]) => promisify(execFile)("npx", args, { cwd: ROOT, env, timeout: 60_000 });
  assert.equal((await npx(["meshgate", "version"])).stdout.trim(), `meshgate ${manifest.version}`);
  const help = (await npx(["meshgate", "help"])).stdout;
  for (const command of ["up", "down", "status", "coordinator", "keys", "nodes", "routes", "wg"]) assert.match(help, new RegExp(`^  ${command} `, "m"));
});
