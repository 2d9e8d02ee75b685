// The sysctls meshgate switches, through /proc/sys: forwarding (a subnet router) and
// src_valid_mark (policy routing by fwmark, as wg-quick sets it). /proc/sys/net belongs to the
// network namespace of the process, so inside `ip netns exec` these are the namespace's. Only
// the named settings can be reached: the paths are fixed here, not built from input.

import { readFile, writeFile } from "node:fs/promises";
import type { ForwardingSysctl } from "../router/subnet-router.js";

// The reverse-path filter checks a reply's route with the packet's mark only when this is on:
// without it, marked WireGuard traffic is dropped where rp_filter is strict.
export type SourceValidMarkSysctl = "net.ipv4.conf.all.src_valid_mark";
export type MeshgateSysctl = ForwardingSysctl | SourceValidMarkSysctl;

const PATHS: Readonly<Record<MeshgateSysctl, string>> = {
  "net.ipv4.ip_forward": "/proc/sys/net/ipv4/ip_forward",
  "net.ipv6.conf.all.forwarding": "/proc/sys/net/ipv6/conf/all/forwarding",
  "net.ipv4.conf.all.src_valid_mark": "/proc/sys/net/ipv4/conf/all/src_valid_mark",
};

export class SysctlError extends Error {
  override readonly name = "SysctlError";
}

/** The value as the kernel shows it ("0", "1"), or null when the setting does not exist (IPv6 disabled at boot). */
export async function readSysctl(name: MeshgateSysctl): Promise<string | null> {
  try {
    return (await readFile(PATHS[name], "utf8")).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new SysctlError(`cannot read ${PATHS[name]}: ${(error as Error).message}`);
  }
}

export async function writeSysctl(name: MeshgateSysctl, value: string): Promise<void> {
  try {
    await writeFile(PATHS[name], `${value}\n`);
  } catch (error) {
    const hint = (error as NodeJS.ErrnoException).code === "EACCES" ? " (needs root or CAP_NET_ADMIN)" : "";
    throw new SysctlError(`cannot set ${name}=${value}: ${(error as Error).message}${hint}`);
  }
}
