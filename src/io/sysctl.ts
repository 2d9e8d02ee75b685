// The forwarding sysctls a subnet router switches, through /proc/sys. /proc/sys/net belongs to
// the network namespace of the process, so inside `ip netns exec` these are the namespace's.
// Only the two named settings can be reached: the paths are fixed here, not built from input.

import { readFile, writeFile } from "node:fs/promises";
import type { ForwardingSysctl } from "../router/subnet-router.js";

const PATHS: Readonly<Record<ForwardingSysctl, string>> = {
  "net.ipv4.ip_forward": "/proc/sys/net/ipv4/ip_forward",
  "net.ipv6.conf.all.forwarding": "/proc/sys/net/ipv6/conf/all/forwarding",
};

export class SysctlError extends Error {
  override readonly name = "SysctlError";
}

/** The value as the kernel shows it ("0", "1"), or null when the setting does not exist (IPv6 disabled at boot). */
export async function readSysctl(name: ForwardingSysctl): Promise<string | null> {
  try {
    return (await readFile(PATHS[name], "utf8")).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new SysctlError(`cannot read ${PATHS[name]}: ${(error as Error).message}`);
  }
}

export async function writeSysctl(name: ForwardingSysctl, value: string): Promise<void> {
  try {
    await writeFile(PATHS[name], `${value}\n`);
  } catch (error) {
    const hint = (error as NodeJS.ErrnoException).code === "EACCES" ? " (needs root or CAP_NET_ADMIN)" : "";
    throw new SysctlError(`cannot set ${name}=${value}: ${(error as Error).message}${hint}`);
  }
}
