// A small LAN of namespaces for mesh tests: a hub namespace holding a bridge (and the
// coordinator), and node namespaces attached to it with veth pairs — 10.<subnet>.0.1 for the
// hub, 10.<subnet>.0.(10+i) for node i. Names carry the project prefix and pid; destroy()
// ends the processes started here (by pid) and deletes the namespaces.

import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { killAndDelete, Namespace, PREFIX, run, stopChildren } from "./netns.js";

export class MeshLab {
  readonly hub: Namespace;
  readonly nodes: Namespace[] = [];
  readonly stateRoot = mkdtempSync(join(tmpdir(), "meshgate-mesh-"));
  private readonly children: ChildProcess[] = [];
  private destroyed = false;
  private readonly exitHook = (): void => this.destroySync();

  private constructor(readonly tag: string, readonly subnet: number) {
    this.hub = new Namespace(`${PREFIX}${tag}h`);
  }

  hubAddress(): string {
    return `10.${this.subnet}.0.1`;
  }

  nodeAddress(index: number): string {
    return `10.${this.subnet}.0.${10 + index}`;
  }

  static async create(tag: string, subnet: number): Promise<MeshLab> {
    const lab = new MeshLab(tag, subnet);
    process.once("exit", lab.exitHook);
    try {
      await run("ip", ["netns", "add", lab.hub.name]);
      await lab.hub.exec("ip", ["link", "set", "lo", "up"]);
      await lab.hub.exec("ip", ["link", "add", "br0", "type", "bridge"]);
      await lab.hub.exec("ip", ["address", "add", `${lab.hubAddress()}/24`, "dev", "br0"]);
      await lab.hub.exec("ip", ["link", "set", "br0", "up"]);
    } catch (error) {
      await lab.destroy();
      throw error;
    }
    return lab;
  }

  async addNode(): Promise<Namespace> {
    const index = this.nodes.length + 1;
    const ns = new Namespace(`${PREFIX}${this.tag}${index}`);
    this.nodes.push(ns);
    const inside = `${PREFIX}${this.tag}${index}i`;
    const outside = `${PREFIX}${this.tag}${index}o`;
    await run("ip", ["netns", "add", ns.name]);
    await run("ip", ["link", "add", inside, "netns", ns.name, "type", "veth", "peer", "name", outside, "netns", this.hub.name]);
    await this.hub.exec("ip", ["link", "set", outside, "master", "br0"]);
    await this.hub.exec("ip", ["link", "set", outside, "up"]);
    await ns.exec("ip", ["link", "set", "lo", "up"]);
    await ns.exec("ip", ["address", "add", `${this.nodeAddress(index)}/24`, "dev", inside]);
    await ns.exec("ip", ["link", "set", inside, "up"]);
    return ns;
  }

  adopt<T extends ChildProcess>(child: T): T {
    this.children.push(child);
    return child;
  }

  async destroy(): Promise<void> {
    await stopChildren(this.children);
    this.destroySync();
  }

  private destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    process.removeListener("exit", this.exitHook);
    killAndDelete(this.children, [this.hub, ...this.nodes]);
    rmSync(this.stateRoot, { recursive: true, force: true });
  }
}
