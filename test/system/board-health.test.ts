// Board health: a reading of this machine checked against independent sources (df, /proc), a
// Raspberry Pi laid out in a scratch directory (model, thermal zones, throttling from vcgencmd or
// the firmware's sysfs file), and the cache.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { statfs } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { describe, test, type TestContext } from "node:test";
import { promisify } from "node:util";
import { CACHE_MS, createBoardHealthReader, readBoardHealth } from "../../src/system/board-health.js";

function scratch(t: TestContext): string {
  const directory = mkdtempSync(join(tmpdir(), "meshgate-board-"));
  t.after(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
}

// A board's /proc and /sys under `root`: each path relative to it, with its content.
function layOut(root: string, files: Readonly<Record<string, string>>): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

const PI_4 = {
  "proc/device-tree/model": "Raspberry Pi 4 Model B Rev 1.4\0",
  "sys/class/thermal/thermal_zone0/type": "cpu-thermal\n",
  "sys/class/thermal/thermal_zone0/temp": "48312\n",
};
const NONE = { underVoltage: false, frequencyCapped: false, throttled: false, softTemperatureLimit: false };
const UNDER_VOLTAGE_THROTTLED = { ...NONE, underVoltage: true, throttled: true };
const noVcgencmd = async (): Promise<string | null> => null;

describe("board health on this machine", () => {
  test("shapes and sane values, checked against df, /proc and node:os", async (t) => {
    const health = await readBoardHealth(tmpdir());
    assert.ok(health.cpuTemperatureC === null || (health.cpuTemperatureC > -40 && health.cpuTemperatureC < 150), `${health.cpuTemperatureC}`);
    if (!existsSync("/sys/class/thermal/thermal_zone0")) assert.equal(health.cpuTemperatureC, null, "no thermal zone: no temperature");
    assert.equal(health.load.length, 3);
    assert.ok(health.load.every((load) => Number.isFinite(load) && load >= 0));
    assert.equal(health.cpuCount, cpus().length);
    assert.equal(health.memory.totalBytes, totalmem());
    assert.ok(health.memory.usedBytes > 0 && health.memory.usedBytes <= health.memory.totalBytes, JSON.stringify(health.memory));
    const meminfo = readFileSync("/proc/meminfo", "utf8");
    const available = Number(/^MemAvailable:\s+(\d+) kB/m.exec(meminfo)![1]) * 1024;
    const usedNow = totalmem() - available;
    assert.ok(Math.abs(health.memory.usedBytes - usedNow) < 0.05 * totalmem(), `used ${health.memory.usedBytes} vs total − MemAvailable ${usedNow}`);
    // df counts the same blocks: size = f_blocks, used = f_blocks − f_bfree (in 1-byte units).
    const { stdout } = await promisify(execFile)("df", ["-B1", "--output=size,used", tmpdir()]);
    const [size, used] = stdout.trim().split("\n")[1]!.trim().split(/\s+/).map(Number) as [number, number];
    assert.equal(health.disk.path, tmpdir());
    assert.equal(health.disk.totalBytes, size);
    assert.ok(Math.abs(health.disk.usedBytes - used) <= 0.01 * size, `disk used ${health.disk.usedBytes} vs df ${used}`);
    assert.ok(health.disk.usedBytes > 0 && health.disk.usedBytes <= health.disk.totalBytes);
    const procUptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    assert.ok(health.uptimeSeconds > 0 && Math.abs(health.uptimeSeconds - procUptime) < 5, `${health.uptimeSeconds} vs ${procUptime}`);
    const model = existsSync("/proc/device-tree/model") ? readFileSync("/proc/device-tree/model", "utf8") : "";
    if (!model.startsWith("Raspberry Pi")) assert.equal(health.raspberryPi, null);
    t.diagnostic(`this machine: ${JSON.stringify(health)}`);
  });

  test("how long a reading takes (reported, not asserted: tests never fail on timing)", async (t) => {
    await readBoardHealth(tmpdir());
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const start = performance.now();
      await readBoardHealth(tmpdir());
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const reader = createBoardHealthReader(tmpdir());
    await reader.health();
    const start = performance.now();
    await reader.health();
    const cached = performance.now() - start;
    t.diagnostic(`readBoardHealth: median ${times[10]!.toFixed(2)} ms, max ${times[19]!.toFixed(2)} ms over 20; cached: ${cached.toFixed(3)} ms`);
  });

  test("a state directory not made yet is measured on its nearest existing parent", async (t) => {
    const root = scratch(t);
    const health = await readBoardHealth(join(root, "not", "yet"));
    assert.equal(health.disk.path, join(root, "not", "yet"));
    const fs = await statfs(root);
    assert.equal(health.disk.totalBytes, fs.blocks * fs.bsize);
  });

  test("a state path that cannot be measured is an error, not a made-up figure", async () => {
    await assert.rejects(readBoardHealth("/dev/null/state"), /ENOTDIR/);
  });
});

describe("board health on a Raspberry Pi (laid out in a scratch directory)", () => {
  test("model, CPU temperature, and throttling from vcgencmd", async (t) => {
    const root = layOut(scratch(t), PI_4);
    const calls: number[] = [];
    const health = await readBoardHealth(root, { root, vcgencmd: async () => (calls.push(1), "throttled=0x50005\n") });
    assert.equal(health.cpuTemperatureC, 48.3);
    assert.deepEqual(health.raspberryPi, { model: "Raspberry Pi 4 Model B Rev 1.4", now: UNDER_VOLTAGE_THROTTLED, sinceBoot: UNDER_VOLTAGE_THROTTLED });
    assert.equal(calls.length, 1);
  });

  test("without vcgencmd (or with an answer that is not a throttling word): the firmware's sysfs file", async (t) => {
    const root = layOut(scratch(t), { ...PI_4, "sys/devices/platform/soc/soc:firmware/get_throttled": "50000\n" });
    for (const vcgencmd of [noVcgencmd, async () => 'error=1 error_msg="Command not registered"\n']) {
      const health = await readBoardHealth(root, { root, vcgencmd });
      assert.deepEqual(health.raspberryPi, { model: "Raspberry Pi 4 Model B Rev 1.4", now: NONE, sinceBoot: UNDER_VOLTAGE_THROTTLED });
    }
  });

  test("the Pi 5's firmware node, under a soc with an address", async (t) => {
    const root = layOut(scratch(t), {
      ...PI_4,
      "proc/device-tree/model": "Raspberry Pi 5 Model B Rev 1.0\0",
      "sys/devices/platform/soc@107c000000/soc@107c000000:firmware/get_throttled": "80008\n",
    });
    const health = await readBoardHealth(root, { root, vcgencmd: noVcgencmd });
    const soft = { ...NONE, softTemperatureLimit: true };
    assert.deepEqual(health.raspberryPi, { model: "Raspberry Pi 5 Model B Rev 1.0", now: soft, sinceBoot: soft });
  });

  test("neither source: the model, with null flags", async (t) => {
    const root = layOut(scratch(t), PI_4);
    const health = await readBoardHealth(root, { root, vcgencmd: noVcgencmd });
    assert.deepEqual(health.raspberryPi, { model: "Raspberry Pi 4 Model B Rev 1.4", now: null, sinceBoot: null });
  });

  test("another board: no Raspberry Pi part, vcgencmd never run; only a CPU thermal zone is the CPU temperature", async (t) => {
    const root = layOut(scratch(t), {
      "proc/device-tree/model": "Pine64 RockPro64 v2.1\0",
      "sys/class/thermal/thermal_zone0/type": "acpitz\n",
      "sys/class/thermal/thermal_zone0/temp": "27800\n",
      "sys/class/thermal/thermal_zone2/type": "soc-thermal\n",
      "sys/class/thermal/thermal_zone2/temp": "-273000\n", // a broken sensor
      "sys/class/thermal/thermal_zone10/type": "x86_pkg_temp\n",
      "sys/class/thermal/thermal_zone10/temp": "61049\n",
    });
    const health = await readBoardHealth(root, { root, vcgencmd: () => assert.fail("vcgencmd on a board that is not a Pi") });
    assert.equal(health.raspberryPi, null);
    assert.equal(health.cpuTemperatureC, 61);
    rmSync(join(root, "sys/class/thermal/thermal_zone10"), { recursive: true });
    assert.equal((await readBoardHealth(root, { root })).cpuTemperatureC, null, "acpitz is not the CPU; a broken sensor is no reading");
  });
});

describe("the cached reader", () => {
  test(`one reading per ${CACHE_MS} ms, shared by callers asking at once; a failed reading is not kept`, async (t) => {
    const root = layOut(scratch(t), PI_4);
    let now = 1_000;
    let reads = 0;
    let failing = false;
    const reader = createBoardHealthReader(tmpdir(), {
      root,
      clock: () => now,
      vcgencmd: async () => {
        reads++;
        if (failing) throw new Error("mailbox timeout");
        return "throttled=0x0";
      },
    });
    const [a, b] = await Promise.all([reader.health(), reader.health()]);
    assert.equal(reads, 1);
    assert.equal(a, b);
    now += CACHE_MS - 1;
    assert.equal(await reader.health(), a, "still cached");
    assert.equal(reads, 1);
    now += 1;
    const c = await reader.health();
    assert.equal(reads, 2);
    assert.notEqual(c, a);
    now += CACHE_MS;
    failing = true;
    await assert.rejects(reader.health(), /mailbox timeout/);
    failing = false;
    assert.equal((await reader.health()).raspberryPi?.now?.underVoltage, false, "tried again at once");
    assert.equal(reads, 4);
  });
});
