// Interface configuration through iproute2's `ip`, always with an argv array (never a shell
// string) and always idempotent: `replace` where ip has it, and "already there" treated as
// success, so applying the same state twice changes nothing.

import { execFile } from "node:child_process";

export class IpCommandError extends Error {
  override readonly name = "IpCommandError";
}

function run(args: readonly string[], tolerated: RegExp | null = null): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("ip", [...args], { timeout: 10_000 }, (error, stdout, stderr) => {
      if (error === null) return resolve(stdout);
      if (tolerated !== null && tolerated.test(stderr)) return resolve(stdout);
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

export function deleteLink(device: string): Promise<string> {
  return run(["link", "delete", "dev", device], /Cannot find device/);
}

// address: "10.0.0.1/24" or "fd00::1/64".
export function replaceAddress(device: string, address: string): Promise<string> {
  return run([address.includes(":") ? "-6" : "-4", "address", "replace", address, "dev", device]);
}

// prefix: "10.0.0.0/24"; routes it into the device (in `table` when given).
export function replaceRoute(device: string, prefix: string, table?: string): Promise<string> {
  return run([prefix.includes(":") ? "-6" : "-4", "route", "replace", prefix, "dev", device, ...(table ? ["table", table] : [])]);
}

export function deleteRoute(device: string, prefix: string): Promise<string> {
  return run([prefix.includes(":") ? "-6" : "-4", "route", "delete", prefix, "dev", device], /No such process|Cannot find device/);
}
