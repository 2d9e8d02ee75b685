// Board health for the admin page: CPU temperature and load, memory, the state directory's disk,
// uptime, and on a Raspberry Pi its model and the firmware's throttling flags.
//
// Cheap by design — the page polls every few seconds on a small board, and health() must not
// spawn processes there: every figure comes from a file under /proc or /sys or from a system call
// (node:os, statfs). systeminformation supplies memory (/proc/meminfo, "used" = total − available,
// as free(1) counts it); its other readers start shells on Linux (cpuTemperature even blocks in
// execSync; time, fsSize and system run date, df and dmidecode), so temperature, disk, uptime and
// the model are read here directly. The one process: `vcgencmd get_throttled`, on a Raspberry Pi
// only, remembered as missing after the first failure to start it.
//
// Throttling source, in order: vcgencmd (asks the firmware now), then the firmware driver's sysfs
// file — the Raspberry Pi kernel keeps it for compatibility, but newer ones mark it deprecated:
// they log a kernel warning the first time it is read and show the value last polled.
//
// createBoardHealthReader caches a reading for CACHE_MS and shares one reading between callers
// that ask at the same time.

import { execFile } from "node:child_process";
import { readdir, readFile, statfs } from "node:fs/promises";
import { cpus, loadavg, uptime } from "node:os";
import { dirname, join, resolve } from "node:path";
import { mem } from "systeminformation";
import type { BoardHealth } from "../admin/admin-api.js";
import { parseThrottled, type Throttling } from "./throttle-flags.js";

export const CACHE_MS = 2_000;
const VCGENCMD_TIMEOUT_MS = 1_000;
// Thermal zone types that measure the CPU (Raspberry Pi: cpu-thermal; x86: x86_pkg_temp; other
// ARM boards: soc-thermal, cpu0-thermal…). Others (acpitz, a battery, a Wi-Fi chip) are not the
// CPU, and a board with none reports no CPU temperature rather than a wrong one.
const CPU_ZONE_TYPE = /cpu|x86_pkg_temp|soc/i;
const SANE_TEMPERATURE_C = { min: -40, max: 150 };

export interface BoardHealthOptions {
  /** Where /proc and /sys are found: "/" (tests lay out a board in a scratch directory). Memory, load and uptime always come from this machine. */
  readonly root?: string;
  /** `vcgencmd get_throttled`'s output, or null when it cannot run. */
  readonly vcgencmd?: () => Promise<string | null>;
}

/** One reading; `statePath` is the state directory (or a path on its filesystem). */
export async function readBoardHealth(statePath: string, options: BoardHealthOptions = {}): Promise<BoardHealth> {
  const root = options.root ?? "/";
  const [memory, disk, cpuTemperatureC, model] = await Promise.all([mem(), diskOf(statePath), cpuTemperature(root), raspberryPiModel(root)]);
  let raspberryPi: BoardHealth["raspberryPi"] = null;
  if (model !== null) {
    const throttling = await readThrottling(root, options.vcgencmd ?? runVcgencmd());
    raspberryPi = { model, now: throttling?.now ?? null, sinceBoot: throttling?.sinceBoot ?? null };
  }
  const [one, five, fifteen] = loadavg();
  return {
    cpuTemperatureC,
    load: [one ?? 0, five ?? 0, fifteen ?? 0],
    cpuCount: Math.max(1, cpus().length),
    memory: { totalBytes: memory.total, usedBytes: Math.max(0, memory.total - memory.available) },
    disk,
    uptimeSeconds: uptime(),
    raspberryPi,
  };
}

export interface BoardHealthReader {
  health(): Promise<BoardHealth>;
}

export interface BoardHealthReaderOptions extends BoardHealthOptions {
  /** A monotonic clock in ms (performance.now). */
  readonly clock?: () => number;
  readonly cacheMs?: number;
}

export function createBoardHealthReader(statePath: string, options: BoardHealthReaderOptions = {}): BoardHealthReader {
  const clock = options.clock ?? (() => performance.now());
  const cacheMs = options.cacheMs ?? CACHE_MS;
  const readOptions: BoardHealthOptions = { ...options, vcgencmd: options.vcgencmd ?? runVcgencmd() };
  let cached: { readonly at: number; readonly reading: Promise<BoardHealth> } | null = null;
  return {
    health() {
      const now = clock();
      if (cached === null || now - cached.at >= cacheMs) {
        const reading = readBoardHealth(statePath, readOptions);
        cached = { at: now, reading };
        // A failed reading is not kept: the next call tries again.
        reading.catch(() => {
          if (cached?.reading === reading) cached = null;
        });
      }
      return cached.reading;
    },
  };
}

// The filesystem holding `path`; a path not made yet is measured at its nearest existing parent.
async function diskOf(path: string): Promise<BoardHealth["disk"]> {
  for (let at = resolve(path); ; at = dirname(at)) {
    try {
      const fs = await statfs(at);
      return { path, totalBytes: fs.blocks * fs.bsize, usedBytes: (fs.blocks - fs.bfree) * fs.bsize };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT" || dirname(at) === at) throw error;
    }
  }
}

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return null;
  }
}

// /sys/class/thermal/thermal_zoneN: `type` names the sensor, `temp` is millidegrees Celsius.
async function cpuTemperature(root: string): Promise<number | null> {
  const directory = join(root, "sys/class/thermal");
  let zones: string[];
  try {
    zones = (await readdir(directory)).filter((name) => /^thermal_zone\d+$/.test(name));
  } catch {
    return null;
  }
  zones.sort((a, b) => Number(a.slice(12)) - Number(b.slice(12)));
  for (const zone of zones) {
    const type = await readText(join(directory, zone, "type"));
    if (type === null || !CPU_ZONE_TYPE.test(type)) continue;
    const milli = Number.parseInt((await readText(join(directory, zone, "temp"))) ?? "", 10);
    const celsius = Math.round(milli / 100) / 10;
    if (Number.isFinite(celsius) && celsius > SANE_TEMPERATURE_C.min && celsius < SANE_TEMPERATURE_C.max) return celsius;
  }
  return null;
}

// The device tree's model string ("Raspberry Pi 4 Model B Rev 1.4", NUL-terminated), when it
// names a Raspberry Pi.
async function raspberryPiModel(root: string): Promise<string | null> {
  const model = (await readText(join(root, "proc/device-tree/model")))?.replace(/\0/g, "").trim() ?? null;
  return model !== null && model.startsWith("Raspberry Pi") ? model : null;
}

async function readThrottling(root: string, vcgencmd: () => Promise<string | null>): Promise<Throttling | null> {
  const output = await vcgencmd();
  const fromFirmware = output === null ? null : parseThrottled(output);
  if (fromFirmware !== null) return fromFirmware;
  for (const path of await sysfsThrottledPaths(root)) {
    const text = await readText(path);
    if (text !== null) return parseThrottled(text);
  }
  return null;
}

// /sys/devices/platform/soc/soc:firmware/get_throttled on the Pi 1–4; the Pi 5's soc node has an
// address in its name (soc@107c000000), so the firmware node is looked for under any soc*.
async function sysfsThrottledPaths(root: string): Promise<string[]> {
  const platform = join(root, "sys/devices/platform");
  const paths = [join(platform, "soc/soc:firmware/get_throttled")];
  try {
    for (const soc of (await readdir(platform)).filter((name) => name.startsWith("soc") && name !== "soc")) {
      for (const child of await readdir(join(platform, soc)).catch(() => [])) {
        if (child.endsWith(":firmware")) paths.push(join(platform, soc, child, "get_throttled"));
      }
    }
  } catch {
    // No platform devices (not a device-tree board): the fixed path alone.
  }
  return paths;
}

// Runs `vcgencmd get_throttled` (argv, no shell, a timeout); after it fails to start (not
// installed), it is not tried again by this function.
function runVcgencmd(): () => Promise<string | null> {
  let missing = false;
  return () =>
    missing
      ? Promise.resolve(null)
      : new Promise((done) => {
          execFile("vcgencmd", ["get_throttled"], { timeout: VCGENCMD_TIMEOUT_MS, encoding: "utf8" }, (error, stdout) => {
            if ((error as NodeJS.ErrnoException | null)?.code === "ENOENT") missing = true;
            done(error === null ? stdout : null);
          });
        });
}
