// An in-memory network of Devices driven by a fake clock: datagrams travel with a delay and,
// if asked, are lost, duplicated and reordered with seeded randomness; every device's
// handleTick runs at its nextDeadline(). Deterministic: the same seed replays the same run.

import type { Device, DeviceAction } from "../../src/wireguard/device.js";
import type { Endpoint } from "../../src/net/endpoint.js";
import { messageType } from "../../src/wireguard/messages.js";
import type { SeededRandom } from "./seeded-random.js";

export interface NetworkConditions {
  readonly loss?: number; // probability a datagram is lost
  readonly duplicate?: number; // probability it arrives twice
  readonly reorder?: number; // probability it is held back by up to `reorderDelayMs`
  readonly delayMs?: number;
  readonly reorderDelayMs?: number;
}

export interface Node {
  readonly name: string;
  readonly device: Device;
  endpoint: Endpoint;
  readonly tun: Uint8Array[]; // packets the device wrote to its TUN
}

export interface SentDatagram {
  readonly at: number;
  readonly from: string;
  readonly to: Endpoint;
  readonly type: number | null;
  readonly bytes: Uint8Array;
}

interface InFlight {
  readonly at: number;
  readonly sequence: number;
  readonly to: Endpoint;
  readonly from: Endpoint;
  readonly bytes: Uint8Array;
}

const key = (endpoint: Endpoint): string => `${endpoint.host}|${endpoint.port}`;

export class MemoryNetwork {
  now = 0;
  readonly sent: SentDatagram[] = [];
  private readonly nodes = new Map<string, Node>();
  private inFlight: InFlight[] = [];
  private sequence = 0;

  constructor(
    private readonly random: SeededRandom,
    public conditions: NetworkConditions = {},
  ) {}

  add(name: string, device: Device, endpoint: Endpoint): Node {
    const node: Node = { name, device, endpoint, tun: [] };
    this.nodes.set(key(endpoint), node);
    return node;
  }

  // Moves a node to a new address (roaming): datagrams to the old one are lost from now on.
  move(node: Node, endpoint: Endpoint): void {
    this.nodes.delete(key(node.endpoint));
    node.endpoint = endpoint;
    this.nodes.set(key(endpoint), node);
  }

  // Delivers a datagram as if it came from `from` (tests inject replays and garbage this way).
  inject(to: Node, bytes: Uint8Array, from: Endpoint): void {
    this.apply(to, to.device.handleDatagram(this.now, bytes, from));
  }

  writeTun(node: Node, packet: Uint8Array): void {
    this.apply(node, node.device.handleTunPacket(this.now, packet));
  }

  apply(node: Node, actions: DeviceAction[]): void {
    for (const action of actions) {
      if (action.type === "tun") {
        node.tun.push(action.packet.slice());
        continue;
      }
      const bytes = action.datagram.slice(); // views into WASM memory live until the next call
      this.sent.push({ at: this.now, from: node.name, to: action.to, type: messageType(bytes), bytes });
      this.transmit(node.endpoint, action.to, bytes);
    }
  }

  private transmit(from: Endpoint, to: Endpoint, bytes: Uint8Array): void {
    const { loss = 0, duplicate = 0, reorder = 0, delayMs = 10, reorderDelayMs = 50 } = this.conditions;
    const copies = this.chance(loss) ? 0 : this.chance(duplicate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const extra = this.chance(reorder) ? this.random.below(reorderDelayMs) + 1 : 0;
      this.inFlight.push({ at: this.now + delayMs + extra, sequence: this.sequence++, to, from, bytes });
    }
  }

  private chance(probability: number): boolean {
    return probability > 0 && this.random.below(1_000_000) < probability * 1_000_000;
  }

  // Runs events (deliveries and device ticks) in time order until `until`.
  runUntil(until: number): void {
    for (;;) {
      const next = this.nextEventTime();
      if (next === null || next > until) break;
      this.now = Math.max(this.now, next);
      this.deliverDue();
      for (const node of this.nodes.values()) {
        const deadline = node.device.nextDeadline();
        if (deadline !== null && deadline <= this.now) this.apply(node, node.device.handleTick(this.now));
      }
    }
    this.now = Math.max(this.now, until);
  }

  runFor(milliseconds: number): void {
    this.runUntil(this.now + milliseconds);
  }

  private nextEventTime(): number | null {
    let next: number | null = null;
    for (const datagram of this.inFlight) if (next === null || datagram.at < next) next = datagram.at;
    for (const node of this.nodes.values()) {
      const deadline = node.device.nextDeadline();
      if (deadline !== null && (next === null || deadline < next)) next = deadline;
    }
    return next;
  }

  private deliverDue(): void {
    const due = this.inFlight.filter((d) => d.at <= this.now).sort((a, b) => a.at - b.at || a.sequence - b.sequence);
    this.inFlight = this.inFlight.filter((d) => d.at > this.now);
    for (const datagram of due) {
      const node = this.nodes.get(key(datagram.to));
      if (node !== undefined) this.inject(node, datagram.bytes, datagram.from);
    }
  }
}
