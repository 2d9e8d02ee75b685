// The two kinds of WireGuard endpoint the interop tests pair up, behind one interface:
// Debian's wireguard-go configured with `wg`, and meshgate (`meshgate wg up --foreground`).
// Both are inspected and changed with the real `wg` tool. Private keys go through files,
// never on a command line.

import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { run, type Lab, type Namespace } from "./netns.js";
import { DAEMON_NODE_FLAGS } from "../../src/cli/daemon-node-flags.js";

const MESHGATE_MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

export interface WgPeerInfo {
  readonly publicKey: string;
  readonly endpoint: string | null;
  readonly latestHandshake: number; // unix seconds, 0: never
  readonly rxBytes: number;
  readonly txBytes: number;
  readonly allowedIps: string;
}

export interface WireGuardSide {
  readonly kind: "meshgate" | "wireguard-go";
  readonly ns: Namespace;
  readonly iface: string;
  readonly privateKeyFile: string;
  readonly publicKey: string;
  readonly port: number;
  readonly tunnel4: string;
  readonly tunnel6: string;
  peers(): Promise<WgPeerInfo[]>;
  wgSet(args: readonly string[]): Promise<void>;
  alive(): boolean;
}

const scratch = mkdtempSync(join(tmpdir(), "meshgate-interop-"));

export async function generateKeys(name: string): Promise<{ privateKeyFile: string; privateKey: string; publicKey: string }> {
  const privateKey = (await run("wg", ["genkey"])).stdout.trim();
  const privateKeyFile = join(scratch, `${name}.key`);
  writeFileSync(privateKeyFile, `${privateKey}\n`, { mode: 0o600 });
  const publicKey = execFileSync("wg", ["pubkey"], { input: `${privateKey}\n` }).toString().trim();
  return { privateKeyFile, privateKey, publicKey };
}

function parseDump(stdout: string): WgPeerInfo[] {
  // wg show <iface> dump: first line the interface, then per peer:
  // public-key preshared-key endpoint allowed-ips latest-handshake rx tx keepalive
  return stdout
    .trim()
    .split("\n")
    .slice(1)
    .filter((line) => line.length > 0)
    .map((line) => {
      const [publicKey, , endpoint, allowedIps, handshake, rx, tx] = line.split("\t");
      return {
        publicKey: publicKey!,
        endpoint: endpoint === "(none)" ? null : endpoint!,
        allowedIps: allowedIps!,
        latestHandshake: Number(handshake),
        rxBytes: Number(rx),
        txBytes: Number(tx),
      };
    });
}

interface SideOptions {
  readonly ns: Namespace;
  readonly iface: string;
  readonly port: number;
  readonly host: number; // tunnel addresses 10.<net>.0.host, fd<net>::host
  readonly net: number;
  // wireguard-go only: LOG_LEVEL=verbose (one line per handshake event; not for a flooded side).
  readonly verbose?: boolean;
  // wireguard-go only: which binary to run (default: `wireguard-go` on PATH, Debian's); the
  // tunnel benchmark passes a newer one it unpacked itself.
  readonly binary?: string;
  // meshgate only: false runs it with MESHGATE_OFFLOAD=off (no TUN TSO/GRO, no UDP GSO).
  readonly offload?: boolean;
  // meshgate only: flags for node itself (the tunnel bench's --cpu-prof).
  readonly nodeFlags?: readonly string[];
}

function tunnelAddresses(options: SideOptions): { tunnel4: string; tunnel6: string } {
  return { tunnel4: `10.${options.net}.0.${options.host}`, tunnel6: `fd${options.net}::${options.host}` };
}

function sideCommon(options: SideOptions, keys: { privateKeyFile: string; publicKey: string }, isAlive: () => boolean) {
  return {
    ns: options.ns,
    iface: options.iface,
    privateKeyFile: keys.privateKeyFile,
    publicKey: keys.publicKey,
    port: options.port,
    ...tunnelAddresses(options),
    async peers() {
      return parseDump((await options.ns.exec("wg", ["show", options.iface, "dump"])).stdout);
    },
    async wgSet(args: readonly string[]) {
      await options.ns.exec("wg", ["set", options.iface, ...args]);
    },
    alive: isAlive,
  };
}

export interface WireguardGoSide extends WireGuardSide {
  readonly output: string[];
}

export async function startWireguardGo(lab: Lab, options: SideOptions): Promise<WireguardGoSide> {
  const keys = await generateKeys(options.iface);
  // `env` execs wireguard-go in its place, so the pid the lab holds is wireguard-go's.
  const binary = options.binary ?? "wireguard-go";
  const command = options.verbose ? ["env", "LOG_LEVEL=verbose", binary] : [binary];
  const child = lab.adopt(options.ns.spawn(command[0]!, [...command.slice(1), "-f", options.iface]));
  for (let i = 0; i < 50; i++) {
    try {
      await options.ns.exec("wg", ["show", options.iface]);
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const { tunnel4, tunnel6 } = tunnelAddresses(options);
  await options.ns.exec("wg", ["set", options.iface, "private-key", keys.privateKeyFile, "listen-port", String(options.port)]);
  await options.ns.exec("ip", ["address", "add", `${tunnel4}/24`, "dev", options.iface]);
  await options.ns.exec("ip", ["-6", "address", "add", `${tunnel6}/64`, "dev", options.iface, "nodad"]);
  await options.ns.exec("ip", ["link", "set", options.iface, "mtu", "1420", "up"]);
  return { kind: "wireguard-go", output: child.output, ...sideCommon(options, keys, () => child.exitCode === null) };
}

export interface MeshgateSide extends WireGuardSide {
  readonly output: string[];
  // The counters of meshgate's last "handshake load" log line (src/interface/handshake-load-report.ts),
  // empty before it logged one.
  handshakeLoad(): Record<string, string>;
}

function lastHandshakeLoad(output: readonly string[]): Record<string, string> {
  const line = output.join("").split("\n").filter((l) => l.includes("handshake load:")).at(-1) ?? "";
  return Object.fromEntries([...line.matchAll(/(\w+)=(\w+)/g)].map(([, key, value]) => [key!, value!]));
}

// meshgate comes up from a wg-quick file with its own address and no peers; peers are added
// with `wg set`, exactly as for wireguard-go.
export async function startMeshgate(lab: Lab, options: SideOptions): Promise<MeshgateSide> {
  const keys = await generateKeys(options.iface);
  const { tunnel4, tunnel6 } = tunnelAddresses(options);
  const configPath = join(scratch, `${options.iface}.conf`);
  writeFileSync(
    configPath,
    `[Interface]\nPrivateKey = ${keys.privateKey}\nListenPort = ${options.port}\nAddress = ${tunnel4}/24, ${tunnel6}/64\n`,
    { mode: 0o600 },
  );
  // `env` execs node in its place, so the pid the lab holds is meshgate's.
  const command = options.offload === false ? ["env", "MESHGATE_OFFLOAD=off", process.execPath] : [process.execPath];
  const child = lab.adopt(options.ns.spawn(command[0]!, [...command.slice(1), ...DAEMON_NODE_FLAGS, ...(options.nodeFlags ?? []), MESHGATE_MAIN, "wg", "up", "--foreground", configPath]));
  for (let i = 0; i < 100 && !child.output.join("").includes(" is up ("); i++) {
    if (child.exitCode !== null) throw new Error(`meshgate exited: ${child.output.join("")}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!child.output.join("").includes(" is up (")) throw new Error(`meshgate did not come up: ${child.output.join("")}`);
  return {
    kind: "meshgate",
    output: child.output,
    handshakeLoad: () => lastHandshakeLoad(child.output),
    ...sideCommon(options, keys, () => child.exitCode === null),
  };
}

// Makes each side a peer of the other, endpoints on the underlay.
export async function connect(a: WireGuardSide, aUnderlay: string, b: WireGuardSide, bUnderlay: string): Promise<void> {
  await a.wgSet(["peer", b.publicKey, "allowed-ips", `${b.tunnel4}/32,${b.tunnel6}/128`, "endpoint", `${bUnderlay}:${b.port}`]);
  await b.wgSet(["peer", a.publicKey, "allowed-ips", `${a.tunnel4}/32,${a.tunnel6}/128`, "endpoint", `${aUnderlay}:${a.port}`]);
}
