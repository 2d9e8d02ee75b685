// Devices driven by the real packet loop (src/interface/packet-loop.ts), joined through the
// in-memory TUN and UDP (test/fakes) on a fake clock: the fixture of the packet-loop and UAPI
// tests. Node n is 192.0.2.n / 2001:db8::n on the underlay, 10.0.0.n / fd00::n in the tunnel.
// Datagrams arrive at once; readiness runs on later event-loop turns, as libuv's does, so a
// test lets the loops work with `await mesh.settle()` and moves time with `mesh.advance(ms)`.

import { createPacketLoop, type PacketLoop, type SideChannel } from "../../src/interface/packet-loop.js";
import type { Endpoint } from "../../src/net/endpoint.js";
import { createDevice, type Device } from "../../src/wireguard/device.js";
import { clampPrivateKey, createFastestX25519 } from "../../src/wireguard/x25519.js";
import { createFakeClock } from "../fakes/fake-clock.js";
import { createMemoryTun, type MemoryTun } from "../fakes/memory-tun.js";
import { MemoryUdpNetwork, type MemoryHost, type MemoryUdpSockets } from "../fakes/memory-udp.js";
import { createSeededRandom } from "../fakes/seeded-random.js";
import { dataplaneForTest, prefixes, WALL_CLOCK_BASE_MS } from "../wireguard/device-pair.js";

export interface LoopNode {
  readonly name: string;
  readonly device: Device;
  readonly publicKey: Uint8Array;
  readonly host: MemoryHost;
  readonly tun: MemoryTun;
  readonly loop: PacketLoop;
  readonly address4: string;
  readonly address6: string;
  // Every UDP port opened for this node, the one the loop started with first.
  readonly opened: MemoryUdpSockets[];
  // Errnos the loop reported through onInterfaceGone.
  readonly gone: number[];
  running: boolean;
}

// The newest sockets opened for a node (the loop's, unless a test opened others it never gave).
export const udpOf = (node: LoopNode): MemoryUdpSockets => node.opened[node.opened.length - 1]!;

// A turn of the event loop: readiness callbacks queued before it have run.
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class LoopMesh {
  readonly clock = createFakeClock();
  readonly network = new MemoryUdpNetwork();
  private readonly nodes: LoopNode[] = [];
  private readonly random;
  private readonly x25519 = createFastestX25519();

  constructor(seed: number) {
    this.random = createSeededRandom(seed);
  }

  addNode(name: string, number: number, listenPort = 51820, sideChannel?: SideChannel): LoopNode {
    const device = createDevice(
      {
        ...dataplaneForTest(),
        x25519: this.x25519,
        random: createSeededRandom(number * 7919),
        wallClock: () => WALL_CLOCK_BASE_MS + this.clock.now(),
      },
      { privateKey: clampPrivateKey(this.random.bytes(32)) },
    );
    const host = this.network.host(`192.0.2.${number}`, `2001:db8::${number}`);
    const opened = [host.openUdp(listenPort)];
    const gone: number[] = [];
    const tun = createMemoryTun(`mgloop${number}`);
    const loop = createPacketLoop({
      device,
      tun,
      udp: opened[0]!,
      now: this.clock.now,
      schedule: this.clock.schedule,
      onInterfaceGone: (errno) => {
        gone.push(errno);
        node.running = false;
      },
      ...(sideChannel !== undefined ? { sideChannel } : {}),
    });
    const node: LoopNode = { name, device, publicKey: device.publicKey!, host, tun, loop, address4: `10.0.0.${number}`, address6: `fd00::${number}`, opened, gone, running: true };
    this.nodes.push(node);
    loop.start();
    return node;
  }

  // Opens UDP sockets on the node's host (for replaceUdp, or a UAPI handler's openUdp).
  openUdp(node: LoopNode, port: number, fwmark = 0): MemoryUdpSockets {
    const sockets = node.host.openUdp(port, fwmark);
    node.opened.push(sockets);
    return sockets;
  }

  endpointOf(node: LoopNode, family: 4 | 6 = 4): Endpoint {
    return { host: family === 4 ? node.host.ipv4 : node.host.ipv6!, port: udpOf(node).port };
  }

  // a knows b: b's tunnel addresses as AllowedIPs, b's underlay endpoint.
  introduce(a: LoopNode, b: LoopNode, extra: { persistentKeepaliveSeconds?: number; family?: 4 | 6 } = {}): void {
    a.loop.apply(
      a.device.upsertPeer(this.clock.now(), {
        publicKey: b.publicKey,
        allowedIps: prefixes(`${b.address4}/32`, `${b.address6}/128`),
        endpoint: this.endpointOf(b, extra.family),
        ...(extra.persistentKeepaliveSeconds !== undefined ? { persistentKeepaliveSeconds: extra.persistentKeepaliveSeconds } : {}),
      }),
    );
  }

  pair(): [LoopNode, LoopNode] {
    const a = this.addNode("a", 1);
    const b = this.addNode("b", 2);
    this.introduce(a, b);
    this.introduce(b, a);
    return [a, b];
  }

  // Lets the loops work until, twice in a row, no running node has anything waiting and no
  // timer is due: every datagram sent has been handled, and every answer to it.
  async settle(): Promise<void> {
    for (let turns = 0, quiet = 0; quiet < 2; turns++) {
      if (turns > 100_000) throw new Error("the loops never went quiet");
      this.clock.runUntil(this.clock.now());
      await turn();
      quiet = this.busy() ? 0 : quiet + 1;
    }
  }

  // Moves the clock forward by `ms`, each timer running at its due time and the loops settling
  // after each.
  async advance(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    for (let due = this.clock.nextDue(); due !== null && due <= end; due = this.clock.nextDue()) {
      this.clock.runUntil(due);
      await this.settle();
    }
    this.clock.runUntil(end);
    await this.settle();
  }

  stop(): void {
    for (const node of this.nodes) {
      node.running = false;
      node.loop.stop();
      node.tun.close();
    }
  }

  private busy(): boolean {
    const due = this.clock.nextDue();
    if (due !== null && due <= this.clock.now()) return true;
    return this.nodes.some((node) => node.running && (node.tun.waiting > 0 || udpOf(node).waiting > 0));
  }
}
