// Whether this process may configure the network: root, or a service given CAP_NET_ADMIN (the
// Raspberry Pi image runs the daemon as user meshgate with that capability, not as root).

import { readFileSync } from "node:fs";

const CAP_NET_ADMIN = 12n;

/** The effective capability set's bit `capability`, from the CapEff line of /proc/self/status. */
export function hasEffectiveCapability(status: string, capability: bigint): boolean {
  const line = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  return line !== null && ((BigInt(`0x${line[1]}`) >> capability) & 1n) === 1n;
}

export function canAdministerNetwork(): boolean {
  if (process.getuid?.() === 0) return true;
  try {
    return hasEffectiveCapability(readFileSync("/proc/self/status", "utf8"), CAP_NET_ADMIN);
  } catch {
    return false; // no /proc: not Linux, no TUN either
  }
}
