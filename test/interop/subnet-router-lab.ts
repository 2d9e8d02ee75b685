// Four network namespaces around a subnet router (as root). No link to the host's network.
//
//   remote ── meshgate0 (MTU 1420) ── router ── lan (MTU 1500) ── lanhost
//   100.64.0.2           100.64.0.1    │    192.168.1.1        192.168.1.20
//   fd7a:115c:a1e0::2    …::1          │    fd01:1::1          fd01:1::20
//                                      └── wan ── beyond: 172.31.9.2 ── 172.31.9.1
//
// The mesh link is a plain veth named like meshgate's interface: it stands in for the
// WireGuard tunnel (same MTU), so the router's nftables rules see what they would see on a
// node. remote sends everything through the router (its default routes); lanhost's default
// routes go through the router too; beyond has no route to the mesh or the LAN, so only
// masquerading gets answers back from it (the internet an exit node reaches).
//
// remote offers MSS 1460 towards the LAN (`advmss` on its route): it stands for a host whose
// own link is 1500 bytes, like a LAN host behind another subnet router, so only the router's
// clamp keeps TCP segments inside the tunnel's 1420.
//
// Namespace names carry the project prefix and this process's id; destroy() ends the processes
// adopted here (by pid) and deletes the namespaces, which removes every link in them.

import type { ChildProcess } from "node:child_process";
import { killAndDelete, Namespace, PREFIX, run, stopChildren } from "./netns.js";

export const MESH_INTERFACE = "meshgate0";
export const MESH_MTU = 1420;

export const ADDRESS = {
  remote: "100.64.0.2",
  remote6: "fd7a:115c:a1e0::2",
  routerMesh: "100.64.0.1",
  routerMesh6: "fd7a:115c:a1e0::1",
  routerLan: "192.168.1.1",
  routerLan6: "fd01:1::1",
  lanHost: "192.168.1.20",
  lanHost6: "fd01:1::20",
  routerWan: "172.31.9.2",
  beyond: "172.31.9.1",
} as const;

export class SubnetRouterLab {
  readonly remote = new Namespace(`${PREFIX}sr-remote`);
  readonly router = new Namespace(`${PREFIX}sr-router`);
  readonly lanHost = new Namespace(`${PREFIX}sr-lanhost`);
  readonly beyond = new Namespace(`${PREFIX}sr-beyond`);
  private readonly children: ChildProcess[] = [];
  private destroyed = false;
  private readonly exitHook = (): void => this.destroySync();

  private get namespaces(): Namespace[] {
    return [this.remote, this.router, this.lanHost, this.beyond];
  }

  static async create(): Promise<SubnetRouterLab> {
    const lab = new SubnetRouterLab();
    process.once("exit", lab.exitHook);
    try {
      await lab.build();
    } catch (error) {
      await lab.destroy();
      throw error;
    }
    return lab;
  }

  private async build(): Promise<void> {
    const { remote, router, lanHost, beyond } = this;
    for (const ns of this.namespaces) {
      await run("ip", ["netns", "add", ns.name]);
      await ns.exec("ip", ["link", "set", "lo", "up"]);
    }
    await this.link(remote, "wg0", router, MESH_INTERFACE, MESH_MTU);
    await this.link(router, "lan", lanHost, "eth0", 1500);
    await this.link(router, "wan", beyond, "eth0", 1500);
    await address(remote, "wg0", `${ADDRESS.remote}/24`, `${ADDRESS.remote6}/64`);
    await address(router, MESH_INTERFACE, `${ADDRESS.routerMesh}/24`, `${ADDRESS.routerMesh6}/64`);
    await address(router, "lan", `${ADDRESS.routerLan}/24`, `${ADDRESS.routerLan6}/64`);
    await address(lanHost, "eth0", `${ADDRESS.lanHost}/24`, `${ADDRESS.lanHost6}/64`);
    await address(router, "wan", `${ADDRESS.routerWan}/24`);
    await address(beyond, "eth0", `${ADDRESS.beyond}/24`);
    await remote.exec("ip", ["route", "add", "default", "via", ADDRESS.routerMesh]);
    await remote.exec("ip", ["route", "add", "192.168.1.0/24", "via", ADDRESS.routerMesh, "advmss", "1460"]);
    await remote.exec("ip", ["-6", "route", "add", "default", "via", ADDRESS.routerMesh6]);
    await lanHost.exec("ip", ["route", "add", "default", "via", ADDRESS.routerLan]);
    await lanHost.exec("ip", ["-6", "route", "add", "default", "via", ADDRESS.routerLan6]);
    await router.exec("ip", ["route", "add", "default", "via", ADDRESS.beyond]);
  }

  // A veth pair, `leftName` in `left` and `rightName` in `right`, both up with `mtu`.
  private async link(left: Namespace, leftName: string, right: Namespace, rightName: string, mtu: number): Promise<void> {
    await run("ip", ["link", "add", leftName, "netns", left.name, "type", "veth", "peer", "name", rightName, "netns", right.name]);
    for (const [ns, name] of [[left, leftName], [right, rightName]] as const) {
      await ns.exec("ip", ["link", "set", name, "mtu", String(mtu), "up"]);
    }
  }

  adopt<T extends ChildProcess>(child: T): T {
    this.children.push(child);
    return child;
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
  }
}

// IPv6 addresses skip duplicate address detection, so they work at once.
async function address(ns: Namespace, device: string, ipv4: string, ipv6?: string): Promise<void> {
  await ns.exec("ip", ["address", "add", ipv4, "dev", device]);
  if (ipv6 !== undefined) await ns.exec("ip", ["-6", "address", "add", ipv6, "dev", device, "nodad"]);
}
