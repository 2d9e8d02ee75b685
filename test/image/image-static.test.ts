// The built image, checked from outside before anything boots it: the partition table the Pi's
// boot ROM reads, the boot partition's firmware, kernel, DTBs and command line, and the root
// file system's meshgate slot, units and defaults.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { describeNeeding } from "../requirements.js";
import {
  BUILT_IMAGE, bootKernelFiles, debugfs, elfMachine, extractRootPartition, fatFiles, fatLabel, IMAGE, IMAGE_TOOLS, partitions, readFatFile, readRootFile, rootLinkTarget, UPDATE_BUNDLE, VERSION,
} from "./image-files.js";

const AARCH64 = 183;
const MAX_COMPRESSED_BYTES = 350 * 1024 * 1024;

// NODE_MODULE_VERSION by Node.js major (nodejs/node doc/abi_version_registry.json): a V8-ABI
// addon such as better-sqlite3 loads only into the Node it was built for.
const NODE_MODULE_VERSIONS: Readonly<Record<string, number>> = { "20": 115, "22": 127, "24": 137 };

describeNeeding([BUILT_IMAGE, ...IMAGE_TOOLS], "the Raspberry Pi image, from outside", () => {
  let scratch = "";
  let root = "";
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), "meshgate-image-static-"));
    root = extractRootPartition(IMAGE, join(scratch, "root.ext4"));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  test("an MBR with a bootable FAT32 partition (4 MiB aligned) and a Linux root partition after it", () => {
    const [boot, rootPartition, ...rest] = partitions(IMAGE);
    assert.equal(rest.length, 0);
    assert.ok(boot && rootPartition);
    assert.equal(boot.type, "c"); // W95 FAT32 (LBA): what the Pi's boot ROM looks for
    assert.equal(boot.bootable, true);
    assert.equal(boot.start % 8192, 0);
    assert.equal(rootPartition.type, "83");
    assert.ok(rootPartition.start >= boot.start + boot.size);
    assert.ok(statSync(IMAGE).size >= (rootPartition.start + rootPartition.size) * 512);
    assert.equal(fatLabel(IMAGE), "RASPIFIRM");
    assert.match(debugfs(root, "stats"), /Filesystem volume name:\s+RASPIROOT/);
  });

  test("the boot partition has the Pi firmware, the kernel, an initrd and the DTBs of every supported board", () => {
    const files = new Set(fatFiles(IMAGE));
    for (const name of [
      "bootcode.bin", "start.elf", "start4.elf", "fixup.dat", "fixup4.dat", "config.txt", "cmdline.txt",
      "bcm2837-rpi-3-b.dtb", "bcm2837-rpi-3-b-plus.dtb", "bcm2837-rpi-zero-2-w.dtb", "bcm2837-rpi-cm3-io3.dtb",
      "bcm2711-rpi-4-b.dtb", "bcm2711-rpi-400.dtb", "bcm2711-rpi-cm4-io.dtb", "meshgate.conf.example",
    ]) assert.ok(files.has(name), `${name} on the boot partition (has: ${[...files].sort().join(" ")})`);
    assert.ok(!files.has("meshgate.conf"), "no meshgate.conf until a person writes one");
    const config = readFatFile(IMAGE, "config.txt")!.toString("utf8");
    assert.match(config, /^arm_64bit=1/m);
    const boot = bootKernelFiles(IMAGE);
    assert.ok(files.has(boot.kernel) && files.has(boot.initramfs), `config.txt's ${boot.kernel} and ${boot.initramfs} are there`);
    const cmdline = readFatFile(IMAGE, "cmdline.txt")!.toString("utf8");
    assert.match(cmdline, /(^|\s)root=LABEL=RASPIROOT(\s|$)/);
    assert.match(cmdline, /(^|\s)rootwait(\s|$)/);
    assert.match(cmdline, /console=ttyS1,115200 console=tty0/, "the header's serial port and the screen");
    assert.equal(cmdline.trim().split("\n").length, 1, "cmdline.txt is one line");
    // An arm64 kernel Image ("ARM\x64" at 0x38), or Debian's gzip of one.
    const kernel = readFatFile(IMAGE, boot.kernel)!;
    assert.ok(kernel.readUInt16BE(0) === 0x1f8b || kernel.subarray(0x38, 0x3c).toString("latin1") === "ARM\x64", "vmlinuz is an arm64 kernel");
  });

  test("meshgate's slot: arm64 Node.js, the app of this version, native addons built for arm64", () => {
    assert.equal(rootLinkTarget(root, "/opt/meshgate/current"), "slots/a");
    const manifest = JSON.parse(readRootFile(root, "/opt/meshgate/slots/a/manifest.json")!.toString("utf8")) as Record<string, string>;
    assert.equal(manifest["name"], "meshgate");
    assert.equal(manifest["version"], VERSION);
    assert.equal(manifest["arch"], "arm64");
    assert.equal(elfMachine(readRootFile(root, "/opt/meshgate/slots/a/node/bin/node")!), AARCH64);
    assert.equal(elfMachine(readRootFile(root, "/opt/meshgate/slots/a/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node")!), AARCH64);
    assert.equal(elfMachine(readRootFile(root, "/opt/meshgate/slots/a/app/src/io/native/build/Release/meshgate_io.node")!), AARCH64);
    const modules = NODE_MODULE_VERSIONS[manifest["node"]!.split(".")[0]!];
    assert.ok(modules !== undefined, `NODE_MODULE_VERSIONS knows Node ${manifest["node"]}`);
    const sqlite = readRootFile(root, "/opt/meshgate/slots/a/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node")!;
    assert.ok(sqlite.includes(`node_register_module_v${modules}`), `better_sqlite3.node is built for the slot's Node (NODE_MODULE_VERSION ${modules})`);
    const appPackage = JSON.parse(readRootFile(root, "/opt/meshgate/slots/a/app/package.json")!.toString("utf8")) as { version: string };
    assert.equal(appPackage.version, VERSION);
    assert.ok(readRootFile(root, "/opt/meshgate/slots/a/app/dist/src/cli/main.js"));
    assert.ok(readRootFile(root, "/opt/meshgate/slots/a/app/dist/wasm/release.wasm"));
    assert.ok(readRootFile(root, "/opt/meshgate/slots/a/app/web/static/app.css") ?? readRootFile(root, "/opt/meshgate/slots/a/app/web/static/style.css"), "the admin page's stylesheet");
    assert.equal(readRootFile(root, "/opt/meshgate/slots/a/app/node_modules/typescript/package.json"), null, "no dev dependencies");
    assert.equal(readRootFile(root, "/opt/meshgate/slots/a/app/dist/test/layers.test.js"), null, "no tests");
  });

  test("the units are enabled, the daemon has its own account, SSH is off and no card shares a machine id or host key", () => {
    const wants = debugfs(root, "ls -l /etc/systemd/system/multi-user.target.wants");
    for (const unit of ["meshgate.service", "meshgate-first-boot.service", "meshgate-update.path", "meshgate-update-check.service", "systemd-networkd.service", "avahi-daemon.service"]) {
      assert.match(wants, new RegExp(unit.replace(".", "\\.")), `${unit} enabled`);
    }
    assert.doesNotMatch(wants, /\bssh\.service/, "SSH off until meshgate.conf gives a key");
    assert.match(debugfs(root, "ls -l /etc/systemd/system/local-fs.target.wants"), /meshgate-grow-root\.service/);
    assert.match(debugfs(root, "ls -l /etc/systemd/system/meshgate.service.wants"), /meshgate-announce\.service/);
    const unit = readRootFile(root, "/etc/systemd/system/meshgate.service")!.toString("utf8");
    assert.match(unit, /^User=meshgate$/m);
    assert.match(unit, /^AmbientCapabilities=CAP_NET_ADMIN CAP_NET_BIND_SERVICE$/m);
    assert.match(unit, /^Restart=on-failure$/m);
    assert.match(unit, /--admin-listen lan:80/);
    const account = readRootFile(root, "/etc/passwd")!.toString("utf8").split("\n").find((line) => line.startsWith("meshgate:"));
    assert.ok(account, "a meshgate account");
    assert.match(account, /:\/usr\/sbin\/nologin$/);
    assert.equal(readRootFile(root, "/etc/machine-id"), null, "empty machine-id: systemd makes one at first boot");
    assert.doesNotMatch(debugfs(root, "ls /etc/ssh"), /ssh_host_/);
    assert.match(readRootFile(root, "/etc/hostname")!.toString("utf8"), /^meshgate$/m);
    assert.match(readRootFile(root, "/etc/sysctl.d/90-meshgate.conf")!.toString("utf8"), /net\.ipv4\.ip_forward = 1/);
  });

  test("the compressed image fits the budget and the checksums match", () => {
    const compressed = statSync(`${IMAGE}.zst`).size;
    assert.ok(compressed <= MAX_COMPRESSED_BYTES, `${(compressed / 2 ** 20).toFixed(0)} MiB compressed, at most 350 MiB`);
    const sums = readFileSync(`${IMAGE}.sha256`, "utf8");
    for (const file of [IMAGE, `${IMAGE}.zst`, UPDATE_BUNDLE]) {
      const digest = createHash("sha256").update(readFileSync(file)).digest("hex");
      assert.match(sums, new RegExp(`^${digest}  ${file.split("/").at(-1)!.replace(/[.+]/g, "\\$&")}$`, "m"));
    }
  });
});
