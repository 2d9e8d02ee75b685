// Interface configuration through iproute2's `ip`, always with an argv array (never a shell
// string) and idempotent (`replace`, `set`), so applying the same state twice changes nothing.
// Nothing here removes state: the TUN is not persistent, so closing it removes the interface
// with its addresses and routes.

import { execFile } from "node:child_process";

export class IpCommandError extends Error {
  override readonly name = "IpCommandError";
}

function run(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("ip", [...args], { timeout: 10_000 }, (error, stdout, stderr) => {
      if (error === null) return resolve(stdout);
      const code = (error as NodeJS.ErrnoException).code;
      const hint = code === "ENOENT" ? " (is iproute2 installed?)" : "";
      reject(new IpCommandError(`ip ${args.join(" ")} failed: ${stderr.trim() || error.message}${hint}`));
    });
  });
}

export function setLinkMtu(device: string, mtu: number): Promise<string> {
  return run(["link", "set", "dev", device, "mtu", String(mtu)]);
}

export function setLinkUp(device: string): Promise<string> {
  return run(["link", "set", "dev", device, "up"]);
}

// address: "10.0.0.1/24" or "fd00::1/64".
export function replaceAddress(device: string, address: string): Promise<string> {
  return run([address.includes(":") ? "-6" : "-4", "address", "replace", address, "dev", device]);
}

// prefix: "10.0.0.0/24"; routes it into the device (in `table` when given).
export function replaceRoute(device: string, prefix: string, table?: string): Promise<string> {
  return run([prefix.includes(":") ? "-6" : "-4", "route", "replace", prefix, "dev", device, ...(table ? ["table", table] : [])]);
}

// Removes the route if it is there (a route already gone is no error: the TUN took it along).
export async function deleteRoute(device: string, prefix: string, table?: string): Promise<void> {
  await run([prefix.includes(":") ? "-6" : "-4", "route", "del", prefix, "dev", device, ...(table ? ["table", table] : [])]).catch((error: Error) => {
    if (!/No such process|No such device|Cannot find device/.test(error.message)) throw error;
  });
}

// `ip rule add <args>`, once: a rule with the same text already there (left by a process that
// was killed) is deleted first, so applying twice leaves one copy.
export async function addRule(family: 4 | 6, args: readonly string[]): Promise<void> {
  await deleteRule(family, args);
  await run([`-${family}`, "rule", "add", ...args]);
}

// `ip rule del <args>` for every copy; none there is no error.
export async function deleteRule(family: 4 | 6, args: readonly string[]): Promise<void> {
  for (let copies = 0; copies < 16; copies++) {
    const removed = await run([`-${family}`, "rule", "del", ...args]).then(() => true, (error: Error) => {
      if (/No such file or directory/.test(error.message)) return false;
      throw error;
    });
    if (!removed) return;
  }
}
