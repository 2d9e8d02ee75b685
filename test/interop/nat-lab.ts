// A small internet of network namespaces for NAT traversal tests (as root). No link to the
// host's own network: the "internet" is a bridge inside a namespace of its own.
//
//   inet: bridge br0, 11.0.0.1/24 (11/8 stands for public address space; nothing leaves the lab)
//     ├─ public host "c"  11.0.0.2  the coordinator (STUN, relay)       publicHost("c")
//     ├─ public host "s"  11.0.0.3  a second STUN / relay host            publicHost("s")
//     ├─ router 1  wan 11.0.0.11 ── lan 192.168.1.1 ── home host 192.168.1.2   home(…)
//     └─ router 2  wan 11.0.0.12 ── lan 192.168.1.1 ── home host 192.168.1.2   (the same LAN
//                                                    addresses in every home, as in life)
//
// A router is a home router: nftables NAT on its WAN (`masquerade` keeps the source port and
// one mapping for every destination — endpoint-independent; `masquerade fully-random` picks a
// new port per destination — symmetric), and a firewall that drops unsolicited input and
// forwarding (policy drop, established/related accepted, everything from the LAN accepted).
// Outbound UDP from the LAN can be blocked and unblocked at run time, and its conntrack table
// flushed (a NAT rebinding).
//
// A router can also grant port mappings (`portMapping: true`): it runs miniupnpd with UPnP IGD,
// NAT-PMP and PCP on its LAN side (see startMiniupnpd below).
//
// Names carry the project prefix and this process's id; destroy() ends the processes started
// here (by pid), deletes every namespace, which removes every link in them, and every
// temporary directory made here.

import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killAndDelete, Namespace, PREFIX, run, stopChildren } from "./netns.js";

export type NatKind = "endpoint-independent" | "symmetric";

export interface HomeOptions {
  readonly nat: NatKind;
  // Outbound UDP from the LAN dropped at the router (a network that lets only TCP out).
  readonly udpBlocked?: boolean;
  // The router grants port mappings: miniupnpd with UPnP IGD, NAT-PMP and PCP on its LAN side.
  readonly portMapping?: boolean;
}

// One mapping miniupnpd holds, from its lease file ("UDP:41641:192.168.1.2:41641:1767225600:meshgate").
export interface MiniupnpdLease {
  readonly protocol: string; // "UDP" | "TCP"
  readonly externalPort: number;
  readonly internalAddress: string;
  readonly internalPort: number;
  readonly expiresAt: number; // Unix seconds; 0 for a permanent mapping
  readonly description: string;
}

export interface PortMappingService {
  readonly process: ChildProcess & { output: string[] }; // miniupnpd, adopted by the lab
  // The mappings miniupnpd holds now (its lease file is rewritten on every add and delete).
  leases(): MiniupnpdLease[];
}

export interface Home {
  readonly index: number;
  readonly router: Namespace;
  readonly host: Namespace;
  readonly wanAddress: string; // 11.0.0.(10 + index)
  readonly lanAddress: string; // the host's: 192.168.1.2
  readonly gateway: string; // the router's LAN address: 192.168.1.1
  // miniupnpd on the router, for a home made with `portMapping: true`; else null.
  readonly portMapping: PortMappingService | null;
  // Drops (true) or lets through (false) outbound UDP from the LAN.
  setUdpBlocked(blocked: boolean): Promise<void>;
  // Forgets every NAT mapping (conntrack), as a router reboot or a mapping timeout does.
  flushConntrack(): Promise<void>;
  // A NAT rebinding: every mapping forgotten and new ones taken from another port range, so
  // the home's public port changes (the ISP's router rebooted, a CGNAT moved us).
  rebind(): Promise<void>;
}

export interface PublicHost {
  readonly ns: Namespace;
  readonly address: string;
}

export const INTERNET_PREFIX = "11.0.0";
export const HOME_LAN_PREFIX = "192.168.1";

// The masquerade rules: `ports` narrows the public TCP/UDP ports used (rebinding moves between
// ranges; a port range needs a transport match, so other protocols get a rule of their own).
function masqueradeRules(nat: NatKind, ports: string | null): string[][] {
  const random = nat === "symmetric" ? ["fully-random"] : [];
  const all = ["oifname", "wan", "masquerade", ...random];
  return ports === null ? [all] : [["oifname", "wan", "meta", "l4proto", "{", "tcp,", "udp", "}", "masquerade", "to", `:${ports}`, ...random], all];
}

// The router's ruleset. `udp_policy` is a chain of its own so blocking UDP is a flush and one rule.
function routerRuleset(nat: NatKind): string {
  return `
table inet home {
  chain udp_policy {
  }
  chain input {
    type filter hook input priority filter; policy drop;
    ct state established,related accept
    iifname "lo" accept
    iifname "lan" accept
    icmp type echo-request accept
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    iifname "lan" jump udp_policy
    ct state established,related accept
    iifname "lan" accept
  }
}
table ip home_nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ${masqueradeRules(nat, null)[0]!.join(" ")}
  }
}
`;
}

export class NatLab {
  readonly inet: Namespace;
  readonly homes: Home[] = [];
  readonly publicHosts = new Map<string, PublicHost>();
  private readonly namespaces: Namespace[] = [];
  private readonly children: ChildProcess[] = [];
  private readonly temporaryDirectories: string[] = [];
  private nextPublic = 2;
  private destroyed = false;
  private readonly exitHook = (): void => this.destroySync();

  private constructor(readonly tag: string) {
    this.inet = this.namespace("i");
  }

  static async create(tag: string): Promise<NatLab> {
    const lab = new NatLab(tag);
    process.once("exit", lab.exitHook);
    try {
      await run("ip", ["netns", "add", lab.inet.name]);
      await lab.inet.exec("ip", ["link", "set", "lo", "up"]);
      await lab.inet.exec("ip", ["link", "add", "br0", "type", "bridge"]);
      await lab.inet.exec("ip", ["address", "add", `${INTERNET_PREFIX}.1/24`, "dev", "br0"]);
      await lab.inet.exec("ip", ["link", "set", "br0", "up"]);
    } catch (error) {
      await lab.destroy();
      throw error;
    }
    return lab;
  }

  private namespace(suffix: string): Namespace {
    const ns = new Namespace(`${PREFIX}${this.tag}${suffix}`);
    this.namespaces.push(ns);
    return ns;
  }

  // A veth pair from `ns` (named `inside` there) to the internet bridge.
  private async plugIntoInternet(ns: Namespace, inside: string, address: string): Promise<void> {
    const outside = `${ns.name}o`;
    await run("ip", ["link", "add", outside, "netns", this.inet.name, "type", "veth", "peer", "name", inside, "netns", ns.name]);
    await this.inet.exec("ip", ["link", "set", outside, "master", "br0"]);
    await this.inet.exec("ip", ["link", "set", outside, "up"]);
    await ns.exec("ip", ["address", "add", `${address}/24`, "dev", inside]);
    await ns.exec("ip", ["link", "set", inside, "up"]);
  }

  // A host with a public address on the internet bridge (the coordinator, a relay).
  async publicHost(name: string): Promise<PublicHost> {
    const ns = this.namespace(`p${name}`);
    const address = `${INTERNET_PREFIX}.${this.nextPublic++}`;
    await run("ip", ["netns", "add", ns.name]);
    await ns.exec("ip", ["link", "set", "lo", "up"]);
    await this.plugIntoInternet(ns, "eth0", address);
    const host = { ns, address };
    this.publicHosts.set(name, host);
    return host;
  }

  // A home: a router with NAT and a firewall, and one host behind it.
  async home(options: HomeOptions): Promise<Home> {
    const index = this.homes.length + 1;
    const router = this.namespace(`r${index}`);
    const host = this.namespace(`h${index}`);
    const wanAddress = `${INTERNET_PREFIX}.${10 + index}`;
    const gateway = `${HOME_LAN_PREFIX}.1`;
    const lanAddress = `${HOME_LAN_PREFIX}.2`;
    await run("ip", ["netns", "add", router.name]);
    await run("ip", ["netns", "add", host.name]);
    for (const ns of [router, host]) await ns.exec("ip", ["link", "set", "lo", "up"]);
    await this.plugIntoInternet(router, "wan", wanAddress);
    await run("ip", ["link", "add", "lan", "netns", router.name, "type", "veth", "peer", "name", "eth0", "netns", host.name]);
    await router.exec("ip", ["address", "add", `${gateway}/24`, "dev", "lan"]);
    await router.exec("ip", ["link", "set", "lan", "up"]);
    await host.exec("ip", ["address", "add", `${lanAddress}/24`, "dev", "eth0"]);
    await host.exec("ip", ["link", "set", "eth0", "up"]);
    await host.exec("ip", ["route", "add", "default", "via", gateway]);
    await router.exec("sysctl", ["-qw", "net.ipv4.ip_forward=1"]);
    await loadRuleset(router, routerRuleset(options.nat));
    const flushConntrack = async (): Promise<void> => {
      await router.exec("conntrack", ["-F"]).catch((error: Error) => {
        // conntrack -F reports "0 flow entries" on stderr, and may exit 1 on an empty table.
        if (!/flow entries/.test(error.message)) throw error;
      });
    };
    let rebinds = 0;
    const portMapping = options.portMapping ? await this.startMiniupnpd(router, index) : null;
    const home: Home = {
      index,
      router,
      host,
      wanAddress,
      lanAddress,
      gateway,
      portMapping,
      async setUdpBlocked(blocked) {
        await router.exec("nft", ["flush", "chain", "inet", "home", "udp_policy"]);
        if (blocked) await router.exec("nft", ["add", "rule", "inet", "home", "udp_policy", "meta", "l4proto", "udp", "drop"]);
      },
      flushConntrack,
      async rebind() {
        const low = 61000 + (rebinds++ % 2) * 1000; // ranges away from the ports nodes listen on
        await router.exec("nft", ["flush", "chain", "ip", "home_nat", "postrouting"]);
        for (const rule of masqueradeRules(options.nat, `${low}-${low + 999}`)) await router.exec("nft", ["add", "rule", "ip", "home_nat", "postrouting", ...rule]);
        await flushConntrack();
      },
    };
    if (options.udpBlocked) await home.setUdpBlocked(true);
    this.homes.push(home);
    return home;
  }

  adopt<T extends ChildProcess>(child: T): T {
    this.children.push(child);
    return child;
  }

  // miniupnpd-nftables on a home router. Its own nft_init.sh needs iptables, so the chains it
  // expects are made here, in the router's `inet home` table (upnp_table_name and
  // upnp_nat_table_name point it there): `miniupnpd` for its forward accepts — the router's
  // forward chain jumps to it last, as fw4 and the README's example do — and the nat chains
  // `prerouting_miniupnpd` / `postrouting_miniupnpd`, jumped to from nat base chains. Its
  // config, lease file and pid file live in a temporary directory (never /etc or /var/run,
  // which every lab on the machine shares); it runs in the foreground (-d), adopted.
  private async startMiniupnpd(router: Namespace, index: number): Promise<PortMappingService> {
    await loadRuleset(router, MINIUPNPD_CHAINS);
    await router.exec("nft", ["add", "rule", "inet", "home", "forward", "jump", "miniupnpd"]);
    const directory = mkdtempSync(join(tmpdir(), `${PREFIX}${this.tag}r${index}-miniupnpd-`));
    this.temporaryDirectories.push(directory);
    const leaseFile = join(directory, "leases");
    const config = join(directory, "miniupnpd.conf");
    writeFileSync(config, miniupnpdConfig(directory, leaseFile));
    const child = this.adopt(router.spawn("miniupnpd", ["-d", "-f", config, "-P", join(directory, "miniupnpd.pid")]));
    await waitForOutput(child, [/HTTP listening on port \d+/, /Listening for NAT-PMP\/PCP traffic on port 5351/], 30_000);
    return { process: child, leases: () => readLeases(leaseFile) };
  }

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
    for (const directory of this.temporaryDirectories) rmSync(directory, { recursive: true, force: true });
  }
}

// The chains miniupnpd-nftables adds its rules to, in the router's table (loaded after the
// router's ruleset, so `table inet home` here adds to it).
const MINIUPNPD_CHAINS = `
table inet home {
  chain miniupnpd {
  }
  chain prerouting_miniupnpd {
  }
  chain postrouting_miniupnpd {
  }
  chain portmap_prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    jump prerouting_miniupnpd
  }
  chain portmap_postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    jump postrouting_miniupnpd
  }
}
`;

// WAN "wan", LAN "lan" (SSDP, HTTP, NAT-PMP and PCP answer there only); mappings only for the
// LAN's own addresses (secure_mode) and ports ≥ 1024, as miniupnpd's sample config advises.
function miniupnpdConfig(directory: string, leaseFile: string): string {
  return [
    "ext_ifname=wan",
    "listening_ip=lan",
    "http_port=0",
    "enable_upnp=yes",
    "enable_natpmp=yes",
    "ipv6_disable=yes",
    "secure_mode=yes",
    "system_uptime=no",
    "clean_ruleset_interval=0",
    `uuid=${randomUUID()}`,
    `lease_file=${leaseFile}`,
    `minissdpdsocket=${join(directory, "minissdpd.sock")}`,
    "upnp_table_name=home",
    "upnp_nat_table_name=home",
    "upnp_forward_chain=miniupnpd",
    "upnp_nat_chain=prerouting_miniupnpd",
    "upnp_nat_postrouting_chain=postrouting_miniupnpd",
    `allow 1024-65535 ${HOME_LAN_PREFIX}.0/24 1024-65535`,
    "deny 0-65535 0.0.0.0/0 0-65535",
    "",
  ].join("\n");
}

function readLeases(leaseFile: string): MiniupnpdLease[] {
  let text: string;
  try {
    text = readFileSync(leaseFile, "utf8");
  } catch {
    return []; // no mapping was ever made
  }
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => {
      const [protocol, externalPort, internalAddress, internalPort, expiresAt, ...description] = line.split(":");
      return {
        protocol: protocol!,
        externalPort: Number(externalPort),
        internalAddress: internalAddress!,
        internalPort: Number(internalPort),
        expiresAt: Number(expiresAt),
        description: description.join(":"),
      };
    });
}

// Resolves once every pattern has shown up in the child's output; rejects, with the output, if
// it exits first or `timeoutMs` passes.
function waitForOutput(child: ChildProcess & { output: string[] }, patterns: readonly RegExp[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const seen = (): boolean => patterns.every((pattern) => pattern.test(child.output.join("")));
    const check = (): void => {
      if (!seen()) return;
      cleanup();
      resolve();
    };
    const fail = (why: string): void => {
      cleanup();
      reject(new Error(`miniupnpd ${why}: ${child.output.join("").trim()}`));
    };
    const onExit = (code: number | null): void => fail(`exited (${code})`);
    const timer = setTimeout(() => fail(`did not start within ${timeoutMs} ms`), timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout!.off("data", check);
      child.stderr!.off("data", check);
      child.off("exit", onExit);
    };
    child.stdout!.on("data", check);
    child.stderr!.on("data", check);
    child.once("exit", onExit);
    check();
  });
}

// `nft -f` with the ruleset on stdin (no temporary file, nothing on a command line to quote).
async function loadRuleset(ns: Namespace, ruleset: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn("ip", ["netns", "exec", ns.name, "nft", "-f", "-"], { stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`nft -f in ${ns.name} failed: ${stderr.trim()}`))));
    child.stdin.end(ruleset);
  });
}
