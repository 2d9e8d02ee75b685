// Real network namespaces for interop tests: a small internet on one machine. Names carry a
// project prefix and this process's id, so parallel runs never collide and nothing outside
// what the test made is touched; everything made is removed in `destroy()`, which tests call
// in `after` (and an exit hook calls if a test crashes). Processes are started here and ended
// only by the pids this module holds.

import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { device, ROOT, tool, type Need } from "../requirements.js";

export const PREFIX = `mg${process.pid % 100000}`;

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

export function run(command: string, args: readonly string[], timeoutMs = 30_000): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(command, [...args], { timeout: timeoutMs, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(" ")} failed: ${stderr.trim() || error.message}`));
      else resolve({ stdout, stderr });
    });
  });
}

// What every suite built on this module needs; suites add the programs they run themselves.
export const NAMESPACE_NEEDS: readonly Need[] = [ROOT, device("/dev/net/tun", "load the tun module: modprobe tun"), tool("ip")];

export class Namespace {
  constructor(readonly name: string) {}

  exec(command: string, args: readonly string[], timeoutMs?: number): Promise<CommandResult> {
    return run("ip", ["netns", "exec", this.name, command, ...args], timeoutMs);
  }

  // A long-running process inside the namespace; its output is kept for diagnostics.
  spawn(command: string, args: readonly string[]): ChildProcess & { output: string[] } {
    const child = spawn("ip", ["netns", "exec", this.name, command, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    const output: string[] = [];
    child.stdout!.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    return Object.assign(child, { output });
  }

  async ping(address: string, count = 3, extra: readonly string[] = []): Promise<{ sent: number; received: number }> {
    const family = address.includes(":") ? ["-6"] : [];
    let output: string;
    try {
      output = (await this.exec("ping", [...family, "-c", String(count), "-W", "2", ...extra, address], 60_000)).stdout;
    } catch (error) {
      output = String(error);
    }
    const match = /(\d+) packets transmitted, (\d+) received/.exec(output);
    return { sent: Number(match?.[1] ?? count), received: Number(match?.[2] ?? 0) };
  }
}

// Two namespaces joined by a veth pair: 192.168.<subnet>.1 and .2 (IPv4), fd<subnet>::1/::2.
export class Lab {
  readonly left: Namespace;
  readonly right: Namespace;
  readonly leftLink: string;
  readonly rightLink: string;
  readonly underlay4: (host: number) => string;
  readonly underlay6: (host: number) => string;
  private readonly children: ChildProcess[] = [];
  // Every namespace this lab made (left, right, attached hosts): destroy() deletes them all.
  private readonly namespaces: Namespace[] = [];
  private destroyed = false;
  private readonly exitHook = (): void => this.destroySync();

  private constructor(readonly tag: string, subnet: number) {
    this.left = new Namespace(`${PREFIX}${tag}l`);
    this.right = new Namespace(`${PREFIX}${tag}r`);
    this.namespaces.push(this.left, this.right);
    this.leftLink = `${PREFIX}${tag}a`;
    this.rightLink = `${PREFIX}${tag}b`;
    this.underlay4 = (host) => `192.168.${subnet}.${host}`;
    this.underlay6 = (host) => `fd00:${subnet}::${host}`;
  }

  static async create(tag: string, subnet: number): Promise<Lab> {
    const lab = new Lab(tag, subnet);
    process.once("exit", lab.exitHook);
    try {
      await run("ip", ["netns", "add", lab.left.name]);
      await run("ip", ["netns", "add", lab.right.name]);
      await run("ip", ["link", "add", lab.leftLink, "netns", lab.left.name, "type", "veth", "peer", "name", lab.rightLink, "netns", lab.right.name]);
      for (const [ns, link, host] of [[lab.left, lab.leftLink, 1], [lab.right, lab.rightLink, 2]] as const) {
        await ns.exec("ip", ["link", "set", "lo", "up"]);
        await ns.exec("ip", ["address", "add", `${lab.underlay4(host)}/24`, "dev", link]);
        await ns.exec("ip", ["-6", "address", "add", `${lab.underlay6(host)}/64`, "dev", link, "nodad"]);
        await ns.exec("ip", ["link", "set", link, "up"]);
      }
    } catch (error) {
      await lab.destroy();
      throw error;
    }
    return lab;
  }

  // A third host on its own veth pair to `to` (a flooder, say): it is 172.31.<subnet>.1 and
  // `to` gets 172.31.<subnet>.2 on that link. Deleted with the lab.
  async attachHost(suffix: string, to: Namespace, subnet: number): Promise<AttachedHost> {
    const host = new Namespace(`${PREFIX}${this.tag}${suffix}`);
    const hostLink = `${host.name}a`;
    const toLink = `${host.name}b`;
    const address = `172.31.${subnet}.1`;
    const peerAddress = `172.31.${subnet}.2`;
    this.namespaces.push(host);
    await run("ip", ["netns", "add", host.name]);
    await run("ip", ["link", "add", hostLink, "netns", host.name, "type", "veth", "peer", "name", toLink, "netns", to.name]);
    for (const [ns, link, own] of [[host, hostLink, address], [to, toLink, peerAddress]] as const) {
      await ns.exec("ip", ["link", "set", "lo", "up"]);
      await ns.exec("ip", ["address", "add", `${own}/24`, "dev", link]);
      await ns.exec("ip", ["link", "set", link, "up"]);
    }
    return { ns: host, address, peerAddress };
  }

  adopt<T extends ChildProcess>(child: T): T {
    this.children.push(child);
    return child;
  }

  // The pid of the n-th adopted process (benchmarks read its CPU time).
  pidOf(index: number): number | undefined {
    return this.children[index]?.pid;
  }

  // Ends our processes (by pid) and deletes the namespaces, which removes every link in them.
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    await stopChildren(this.children);
    this.destroySync();
  }

  private destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    process.removeListener("exit", this.exitHook);
    killAndDelete(this.children, this.namespaces);
  }
}

export interface AttachedHost {
  readonly ns: Namespace;
  readonly address: string; // the host's own address on its link
  readonly peerAddress: string; // the address of the namespace it is attached to, on that link
}

// SIGTERM to each process still running (by the pid we hold), SIGKILL after 5 s.
export async function stopChildren(children: readonly ChildProcess[]): Promise<void> {
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
}

// The synchronous last resort (process exit): SIGKILL what still runs, delete the namespaces.
export function killAndDelete(children: readonly ChildProcess[], namespaces: readonly Namespace[]): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const ns of namespaces) {
    try {
      execFileSync("ip", ["netns", "delete", ns.name], { stdio: "ignore" });
    } catch {
      // already gone
    }
  }
}
