// Installing an update into a temp dir laid out like the image (/opt/meshgate, /var/lib/meshgate),
// with the real tar and a fake systemctl whose update check does what the image's script does:
// reads pending.env, records last-result.json (rolling `current` back on failure) and removes
// pending.env.

import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parsePendingEnv } from "../../src/appliance/update-state.js";
import { stageUpload } from "../../src/appliance/update-slots.js";
import { runUpdateWith, type UpdateEnvironment } from "../../src/cli/update.js";
import { runCommand, type CommandRunner } from "../../src/io/command-runner.js";
import { makeBundle, tempDir, writeSlot, type SlotContent } from "./bundle-fixtures.js";

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

interface Machine {
  readonly root: string;
  readonly state: string;
  readonly temp: string;
  readonly calls: string[];
  readonly lines: string[];
  pendingSeen: string | null; // pending.env when the check ran
  healthy: boolean; // whether the fake check finds the new version healthy
  now: number;
  environment(isRoot?: boolean): UpdateEnvironment;
  bundle(content?: SlotContent): string;
  update(...args: string[]): Promise<number>;
  remove(): void;
}

function machine(): Machine {
  const dir = tempDir();
  const root = join(dir.path, "opt-meshgate");
  const state = join(dir.path, "var-lib-meshgate");
  mkdirSync(join(root, "slots", "a"), { recursive: true });
  writeSlot(join(root, "slots", "a"), { version: "0.1.0" });
  symlinkSync("slots/a", join(root, "current"));
  mkdirSync(state);
  let bundles = 0;
  const self: Machine = {
    root,
    state,
    temp: dir.path,
    calls: [],
    lines: [],
    pendingSeen: null,
    healthy: true,
    now: NOW,
    environment(isRoot = true) {
      const run: CommandRunner = async (argv, options) => {
        if (argv[0] !== "systemctl") return runCommand(argv, options);
        self.calls.push(argv.join(" "));
        if (argv[1] === "start" && argv[2] === "meshgate-update-check.service") {
          const pendingPath = join(state, "update", "pending.env");
          self.pendingSeen = readFileSync(pendingPath, "utf8");
          const pending = parsePendingEnv(self.pendingSeen)!;
          const result = self.healthy
            ? { result: "installed", version: pending.version, previousVersion: pending.previousVersion, reason: null, at: Math.floor(self.now / 1000) + 30 }
            : { result: "rolled-back", version: pending.version, previousVersion: pending.previousVersion, reason: "not ready after 120 s", at: Math.floor(self.now / 1000) + 130 };
          if (!self.healthy) {
            symlinkSync(`slots/${pending.previousSlot}`, join(root, "current.back"));
            (await import("node:fs")).renameSync(join(root, "current.back"), join(root, "current"));
          }
          writeFileSync(join(state, "update", "last-result.json"), JSON.stringify(result));
          (await import("node:fs")).unlinkSync(pendingPath);
        }
        return { code: 0, stdout: "", stderr: "" };
      };
      return { isRoot, arch: "arm64", run, now: () => self.now };
    },
    bundle: (content = {}) => makeBundle(join(dir.path, `bundle${++bundles}.tar.gz`), content),
    update: (...args) => runUpdateWith([...args, "--root-dir", root, "--state-dir", state], (line) => self.lines.push(line), self.environment()),
    remove: dir.remove,
  };
  return self;
}

const version = (m: Machine, slot: string): string => (JSON.parse(readFileSync(join(m.root, "slots", slot, "manifest.json"), "utf8")) as { version: string }).version;

test("an update goes into the other slot, pending.env is written, current flips, meshgate restarts and the check's result is printed", async () => {
  const m = machine();
  try {
    assert.equal(await m.update(m.bundle({ version: "0.1.1" })), 0);
    assert.equal(readlinkSync(join(m.root, "current")), "slots/b");
    assert.equal(version(m, "b"), "0.1.1");
    assert.equal(version(m, "a"), "0.1.0", "the running slot is untouched");
    assert.equal(m.pendingSeen, `VERSION=0.1.1\nSLOT=b\nPREVIOUS_SLOT=a\nPREVIOUS_VERSION=0.1.0\nSTARTED_AT=${NOW / 1000}\n`);
    assert.deepEqual(m.calls, ["systemctl restart meshgate.service", "systemctl start meshgate-update-check.service"]);
    assert.deepEqual(m.lines, [
      "checking bundle… 0.1.1 for arm64",
      "installing into slot b…",
      "restarting meshgate…",
      "waiting for 0.1.1 to come up healthy (up to 120 s)…",
      "meshgate 0.1.1 is running (slot b); 0.1.0 stays in the other slot",
    ]);
    assert.equal(existsSync(join(m.root, ".update-work")), false, "the work dir is gone");
    assert.equal(existsSync(join(m.root, "slots", "b.new")), false);
    // The next update goes back into slot a.
    m.now += 3600_000;
    assert.equal(await m.update(m.bundle({ version: "0.1.2" })), 0);
    assert.equal(readlinkSync(join(m.root, "current")), "slots/a");
    assert.equal(version(m, "a"), "0.1.2");
    assert.equal(version(m, "b"), "0.1.1");
  } finally {
    m.remove();
  }
});

test("a version that does not come up healthy: the check rolls back, the command says why and exits 1", async () => {
  const m = machine();
  try {
    m.healthy = false;
    assert.equal(await m.update(m.bundle({ version: "0.2.0" })), 1);
    assert.equal(readlinkSync(join(m.root, "current")), "slots/a");
    assert.equal(m.lines.at(-1), "ROLLED BACK: 0.2.0 did not come up healthy (not ready after 120 s); 0.1.0 runs again");
  } finally {
    m.remove();
  }
});

test("a check that records nothing for this update is a failure, not an old result taken for this one", async () => {
  const m = machine();
  try {
    mkdirSync(join(m.state, "update"));
    writeFileSync(join(m.state, "update", "last-result.json"), JSON.stringify({ result: "installed", version: "0.1.1", previousVersion: "0.1.0", reason: null, at: NOW / 1000 - 86_400 }));
    const environment = m.environment();
    const run: CommandRunner = async (argv, options) => (argv[0] === "systemctl" ? { code: 0, stdout: "", stderr: "" } : environment.run(argv, options));
    await assert.rejects(
      runUpdateWith([m.bundle(), "--root-dir", m.root, "--state-dir", m.state], () => {}, { ...environment, run }),
      /the health check of 0.1.1 did not finish \(it recorded no result\)/,
    );
  } finally {
    m.remove();
  }
});

test("refused: not root, while another update is pending (unless its pending.env is over 10 minutes old), a bad bundle — nothing touched", async () => {
  const m = machine();
  try {
    const bundle = m.bundle();
    await assert.rejects(runUpdateWith([bundle, "--root-dir", m.root, "--state-dir", m.state], () => {}, m.environment(false)), /installing an update needs root/);
    mkdirSync(join(m.state, "update"));
    const pending = join(m.state, "update", "pending.env");
    writeFileSync(pending, `VERSION=0.1.5\nSLOT=b\nPREVIOUS_SLOT=a\nPREVIOUS_VERSION=0.1.0\nSTARTED_AT=${NOW / 1000 - 60}\n`);
    await assert.rejects(m.update(bundle), /an update to 0.1.5 is under way .*pending.env\); wait for it to finish/);
    assert.equal(existsSync(join(m.root, "slots", "b")), false);
    // A pending.env the installer cannot read counts by its age.
    writeFileSync(pending, "garbage\n");
    utimesSync(pending, (NOW - 60_000) / 1000, (NOW - 60_000) / 1000);
    await assert.rejects(m.update(bundle), /an update to another version is under way/);
    writeFileSync(pending, `VERSION=0.1.5\nSLOT=b\nPREVIOUS_SLOT=a\nPREVIOUS_VERSION=0.1.0\nSTARTED_AT=${NOW / 1000 - 11 * 60}\n`);
    m.healthy = true;
    assert.equal(await m.update(bundle), 0, "a leftover older than 10 minutes does not block");

    const n = machine();
    try {
      await assert.rejects(n.update(n.bundle({ symlinks: { "app/etc": "../../../etc" } })), /not a meshgate update bundle: the link app\/etc points outside/);
      await assert.rejects(n.update(join(n.temp, "nonexistent.tar.gz")), /does not exist/);
      assert.equal(readlinkSync(join(n.root, "current")), "slots/a");
      assert.equal(existsSync(join(n.root, "slots", "b")), false);
      assert.equal(existsSync(join(n.state, "update", "pending.env")), false);
      assert.equal(existsSync(join(n.root, ".update-work")), false);
      assert.deepEqual(n.calls, []);
      // Another installer's work dir is a lock (until it is 10 minutes old).
      mkdirSync(join(n.root, ".update-work"));
      n.now = Date.now();
      await assert.rejects(n.update(n.bundle()), /another update is being installed/);
    } finally {
      n.remove();
    }
  } finally {
    m.remove();
  }
});

test("--no-restart installs and flips without systemctl", async () => {
  const m = machine();
  try {
    assert.equal(await m.update(m.bundle(), "--no-restart"), 0);
    assert.equal(readlinkSync(join(m.root, "current")), "slots/b");
    assert.deepEqual(m.calls, []);
    assert.match(m.lines.at(-1)!, /not restarted \(--no-restart\)/);
  } finally {
    m.remove();
  }
});

test("status: the running and other slot, pending, the last result; --json too", async () => {
  const m = machine();
  try {
    assert.equal(await m.update("status"), 0);
    assert.deepEqual(m.lines.splice(0), ["running   slot a  0.1.0", "other     slot b  (empty)", "pending   none", "last      no update yet"]);
    m.healthy = false;
    await m.update(m.bundle({ version: "0.2.0" }));
    m.lines.splice(0);
    assert.equal(await m.update("status"), 0);
    assert.deepEqual(m.lines.splice(0), ["running   slot a  0.1.0", "other     slot b  0.2.0", "pending   none", "last      ROLLED BACK 0.2.0 at 2026-01-15T12:02:10Z: not ready after 120 s"]);
    writeFileSync(join(m.state, "update", "pending.env"), `VERSION=0.2.1\nSLOT=b\nPREVIOUS_SLOT=a\nPREVIOUS_VERSION=0.1.0\nSTARTED_AT=${NOW / 1000}\n`);
    assert.equal(await m.update("status", "--json"), 0);
    assert.deepEqual(JSON.parse(m.lines.join("\n")), {
      current: { slot: "a", version: "0.1.0" },
      other: { slot: "b", version: "0.2.0" },
      pending: { version: "0.2.1", slot: "b", previousSlot: "a", previousVersion: "0.1.0", startedAt: NOW / 1000 },
      incoming: false,
      lastResult: { result: "rolled-back", version: "0.2.0", previousVersion: "0.1.0", reason: "not ready after 120 s", at: NOW / 1000 + 130 },
    });
    await assert.rejects(runUpdateWith(["status", "--root-dir", m.state, "--state-dir", m.state], () => {}, m.environment()), /current is not a symbolic link to slots\/a or slots\/b/);
  } finally {
    m.remove();
  }
});

test("the admin page's upload: staged as incoming.tar.gz, installed by --incoming and deleted afterwards, also when it is refused", async () => {
  const m = machine();
  try {
    const bytes = readFileSync(m.bundle({ version: "0.1.1" }));
    await stageUpload(m.state, { name: "meshgate-0.1.1-arm64.update.tar.gz", bytes }, NOW);
    const incoming = join(m.state, "update", "incoming.tar.gz");
    assert.deepEqual(readFileSync(incoming), bytes);
    assert.equal(existsSync(`${incoming}.part`), false);
    await assert.rejects(stageUpload(m.state, { name: "again.tar.gz", bytes }, NOW), /an uploaded update is waiting to be installed/);
    assert.equal(await m.update("--incoming"), 0);
    assert.equal(readlinkSync(join(m.root, "current")), "slots/b");
    assert.equal(existsSync(incoming), false);

    writeFileSync(incoming, Buffer.from([0x1f, 0x8b, 0, 0, 0]));
    await assert.rejects(m.update("--incoming"), /not a meshgate update bundle/);
    assert.equal(existsSync(incoming), false, "deleted although refused");
    // A link in the meshgate user's folder is not followed by root.
    symlinkSync(m.bundle(), incoming);
    await assert.rejects(m.update("--incoming"), /incoming.tar.gz is a symbolic link/);
    assert.equal(existsSync(incoming), false);
  } finally {
    m.remove();
  }
});

test("staging refuses what is no bundle before writing anything", async () => {
  const m = machine();
  try {
    await assert.rejects(stageUpload(m.state, { name: "x", bytes: new Uint8Array() }, NOW), (error: Error & { field?: string }) => error.field === "bundle" && /choose an update file/.test(error.message));
    await assert.rejects(stageUpload(m.state, { name: "notes.txt", bytes: Buffer.from("hello") }, NOW), /notes.txt is not a gzip file/);
    mkdirSync(join(m.state, "update"));
    writeFileSync(join(m.state, "update", "pending.env"), `VERSION=0.3.0\nSLOT=b\nPREVIOUS_SLOT=a\nPREVIOUS_VERSION=0.1.0\nSTARTED_AT=${NOW / 1000}\n`);
    await assert.rejects(stageUpload(m.state, { name: "u.tar.gz", bytes: Buffer.from([0x1f, 0x8b, 8]) }, NOW), /an update to 0.3.0 is being installed/);
    assert.equal(existsSync(join(m.state, "update", "incoming.tar.gz")), false);
  } finally {
    m.remove();
  }
});
