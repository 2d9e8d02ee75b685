// A small internet for subnet-routing tests: an "internet" bridge namespace (the hub) holding
// the coordinator, meshgate nodes attached to it, home LANs behind some of them (LAN hosts run
// no meshgate: their default route is their router's LAN address), and plain hosts on the
// internet (a web server). Names carry the project prefix and pid; destroy() ends the processes
// started here (by pid) and deletes every namespace, on failure too.
//
//   hub  10.<s>.0.1/24 (br0)  ── node i: 10.<s>.0.(10+i)
//                             ── internet host: 10.<s>.0.(100+j)
//   a LAN: a bridge in the LAN's first host; routers attach with 192.168.x.(1+k)

import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { requestJson } from "../../src/io/unix-http-client.js";
import type { NodeStatus } from "../../src/mesh/node-status.js";
import { killAndDelete, Namespace, PREFIX, run, stopChildren } from "./netns.js";
import { eventually } from "./nat-mesh.js";

export { eventually };

export const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

export interface NodeHost {
  readonly name: string;
  readonly ns: Namespace;
  readonly address: string; // on the internet bridge
  readonly uplink: string; // its link to the internet bridge
  readonly interfaceName: string;
}

export interface RouteNode extends NodeHost {
  readonly stateDir: string;
  process: ChildProcess & { output: string[] };
  status(): Promise<NodeStatus>;
  // `meshgate <args> --state-dir <its state>` inside its namespace; stdout, or the error text.
  cli(args: readonly string[]): Promise<{ ok: boolean; text: string }>;
}

export class RouteLab {
  readonly hub: Namespace;
  readonly stateRoot = mkdtempSync(join(tmpdir(), "meshgate-routes-"));
  private readonly namespaces: Namespace[] = [];
  private readonly children: ChildProcess[] = [];
  private nodeCount = 0;
  private hostCount = 0;
  private linkCount = 0;
  private authKey = "";
  private destroyed = false;
  private readonly exitHook = (): void => this.destroySync();

  private constructor(readonly tag: string, readonly subnet: number) {
    this.hub = new Namespace(`${PREFIX}${tag}h`);
  }

  get hubAddress(): string {
    return `10.${this.subnet}.0.1`;
  }

  get url(): string {
    return `http://${this.hubAddress}:8080`;
  }

  get coordinatorState(): string {
    return join(this.stateRoot, "coordinator");
  }

  static async create(tag: string, subnet: number, coordinatorArgs: readonly string[]): Promise<RouteLab> {
    const lab = new RouteLab(tag, subnet);
    process.once("exit", lab.exitHook);
    try {
      await lab.namespace(lab.hub);
      await lab.hub.exec("ip", ["link", "add", "br0", "type", "bridge"]);
      await lab.hub.exec("ip", ["address", "add", `${lab.hubAddress}/24`, "dev", "br0"]);
      await lab.hub.exec("ip", ["link", "set", "br0", "up"]);
      const coordinator = lab.adopt(lab.hub.spawn(process.execPath, [MAIN, "coordinator", "--listen", `${lab.hubAddress}:8080`, "--stun-port", "0", "--state-dir", lab.coordinatorState, ...coordinatorArgs]));
      await eventually("the coordinator answering", 20_000, async () => {
        if (coordinator.exitCode !== null) throw new Error(coordinator.output.join(""));
        return (await lab.admin("GET", "/v1/info")).status === 200;
      });
      const created = await lab.admin("POST", "/v1/keys", { reusable: true, description: "route test" });
      lab.authKey = String(created.body["key"]);
    } catch (error) {
      await lab.destroy();
      throw error;
    }
    return lab;
  }

  admin(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    return requestJson(join(this.coordinatorState, "admin.sock"), method, path, body);
  }

  // `meshgate <args>` against the coordinator (routes, nodes): stdout, or the error text.
  async coordinatorCli(args: readonly string[]): Promise<{ ok: boolean; text: string }> {
    return run(process.execPath, [MAIN, ...args, "--state-dir", this.coordinatorState]).then(
      (result) => ({ ok: true, text: result.stdout }),
      (error: Error) => ({ ok: false, text: error.message }),
    );
  }

  adopt<T extends ChildProcess>(child: T): T {
    this.children.push(child);
    return child;
  }

  private async namespace(ns: Namespace): Promise<Namespace> {
    this.namespaces.push(ns);
    await run("ip", ["netns", "add", ns.name]);
    await ns.exec("ip", ["link", "set", "lo", "up"]);
    return ns;
  }

  // A veth pair between two namespaces; returns the two link names (a side, b side).
  private async link(a: Namespace, b: Namespace, mtu = 1500): Promise<[string, string]> {
    const index = ++this.linkCount;
    const [aName, bName] = [`${PREFIX}${this.tag}${index}a`, `${PREFIX}${this.tag}${index}b`];
    await run("ip", ["link", "add", aName, "netns", a.name, "mtu", String(mtu), "type", "veth", "peer", "name", bName, "netns", b.name, "mtu", String(mtu)]);
    return [aName, bName];
  }

  // A namespace on the internet bridge at `address`, default route via the hub; its link's name.
  private async onInternet(ns: Namespace, address: string): Promise<string> {
    const [inside, outside] = await this.link(ns, this.hub);
    await this.hub.exec("ip", ["link", "set", outside, "master", "br0"]);
    await this.hub.exec("ip", ["link", "set", outside, "up"]);
    await ns.exec("ip", ["address", "add", `${address}/24`, "dev", inside]);
    await ns.exec("ip", ["link", "set", inside, "up"]);
    await ns.exec("ip", ["route", "add", "default", "via", this.hubAddress]);
    return inside;
  }

  // A plain host on the internet (no meshgate), e.g. a web server.
  async internetHost(name: string): Promise<{ ns: Namespace; address: string }> {
    const ns = await this.namespace(new Namespace(`${PREFIX}${this.tag}${name}`));
    const address = `10.${this.subnet}.0.${100 + ++this.hostCount}`;
    await this.onInternet(ns, address);
    return { ns, address };
  }

  // A namespace for a meshgate node, on the internet; started by startNode.
  async nodeHost(name: string): Promise<NodeHost> {
    const ns = await this.namespace(new Namespace(`${PREFIX}${this.tag}${name}`));
    const index = ++this.nodeCount;
    const address = `10.${this.subnet}.0.${10 + index}`;
    const uplink = await this.onInternet(ns, address);
    return { name, ns, address, uplink, interfaceName: `${PREFIX}m${index}` };
  }

  // A LAN: its first host holds the bridge, at `hostAddress` (e.g. 192.168.1.20/24).
  async lan(name: string, hostAddress: string): Promise<{ host: Namespace; attach(router: Namespace, address: string, mtu?: number): Promise<void> }> {
    const host = await this.namespace(new Namespace(`${PREFIX}${this.tag}${name}`));
    await host.exec("ip", ["link", "add", "br1", "type", "bridge"]);
    await host.exec("ip", ["address", "add", hostAddress, "dev", "br1"]);
    await host.exec("ip", ["link", "set", "br1", "up"]);
    return {
      host,
      attach: async (router, address, mtu = 1500) => {
        const [inRouter, inHost] = await this.link(router, host, mtu);
        await host.exec("ip", ["link", "set", inHost, "master", "br1"]);
        await host.exec("ip", ["link", "set", inHost, "up"]);
        await router.exec("ip", ["address", "add", address, "dev", inRouter]);
        await router.exec("ip", ["link", "set", inRouter, "up"]);
      },
    };
  }

  // meshgate up in `ns`, joined and answering; `extra` are more flags (routing).
  async startNode(host: NodeHost, extra: readonly string[] = []): Promise<RouteNode> {
    const { name, ns, address, uplink, interfaceName } = host;
    const stateDir = join(this.stateRoot, name);
    const socket = join(stateDir, "node.sock");
    const spawnNode = (): ChildProcess & { output: string[] } =>
      this.adopt(ns.spawn(process.execPath, [
        MAIN, "up", "--foreground", "--coordinator", this.url, "--auth-key", this.authKey, "--state-dir", stateDir,
        "--interface", interfaceName, "--hostname", name, ...extra,
      ]));
    const node: RouteNode = {
      name,
      ns,
      address,
      uplink,
      stateDir,
      interfaceName,
      process: spawnNode(),
      status: async () => (await requestJson(socket, "GET", "/v1/status")).body as unknown as NodeStatus,
      cli: (args) => ns.exec(process.execPath, [MAIN, ...args, "--state-dir", stateDir]).then(
        (result) => ({ ok: true, text: result.stdout }),
        (error: Error) => ({ ok: false, text: error.message }),
      ),
    };
    await eventually(`${name} up`, 30_000, async () => {
      if (node.process.exitCode !== null) throw new Error(node.process.output.join(""));
      return (await node.status()).self !== null;
    }).catch((error: Error) => {
      throw new Error(`${error.message}\n${node.process.output.join("")}`);
    });
    return node;
  }

  // Starts a stopped node again with its saved state (and saved routing prefs).
  async restartNode(node: RouteNode): Promise<void> {
    const again = await this.startNode(node);
    node.process = again.process;
  }

  async destroy(): Promise<void> {
    await stopChildren(this.children);
    this.destroySync();
  }

  private destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    process.removeListener("exit", this.exitHook);
    killAndDelete(this.children, this.namespaces);
    rmSync(this.stateRoot, { recursive: true, force: true });
  }
}
