// A small internet for path managers, in memory, on a fake clock: nodes with public addresses
// or behind NATs (endpoint-independent or per-destination mapping; open or address-and-port
// filtering), LANs, blocked UDP, links that go down and up, a TCP relay (a delay queue keyed by
// node key) and a UDP relay. Every node's handleTick runs at its nextDeadline(), and a deadline
// that does not move past a tick fails the run (a busy loop in the real packet loop).

import assert from "node:assert/strict";
import { formatEndpoint, type Endpoint } from "../../src/net/endpoint.js";
import { createPathManager, type DiscoVia, type Path, type PathAction, type PathManager } from "../../src/nat/path-manager.js";
import { encodeKey } from "../../src/wireguard/key-base64.js";
import { clampPrivateKey, createFastestX25519 } from "../../src/wireguard/x25519.js";
import { createCryptoCore, type CryptoCore } from "../../src/dataplane/crypto-core.js";
import { compileCryptoWasm } from "../../src/dataplane/crypto-wasm.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

export interface NatConfig {
  readonly mapping: "eim" | "symmetric"; // one public port for all destinations, or one each
  readonly filtering: "open" | "address-port"; // anyone may answer, or only addresses sent to
}

interface Mapping {
  readonly port: number;
  readonly sentTo: Set<string>;
}

export interface SimNode {
  readonly name: string;
  readonly key: string;
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly manager: PathManager;
  readonly lanEndpoint: Endpoint;
  // More public addresses of a node without NAT (multi-homed); it answers from lanEndpoint.
  readonly aliases: Endpoint[];
  readonly lan: string | null;
  readonly nat: NatConfig | null;
  readonly publicIp: string;
  readonly mappings: Map<string, Mapping>;
  nextPort: number;
  udpBlocked: boolean;
  mappingVaries: boolean; // what its netmap entry says (the lead's NAT facts)
  readonly paths: { at: number; peer: string; path: Path }[];
  readonly sent: { at: number; carrier: "udp" | "tcp-relay" | "udp-relay"; to: string; kind: DiscoKind }[];
  readonly observed: (readonly Endpoint[])[];
}

export type DiscoKind = "ping" | "pong" | "callMeMaybe" | "other";

// Sealed packets are opaque here, but their sizes tell them apart: header 61 + tag 16 +
// ping 13 / pong 32 / callMeMaybe 2 + 19 per endpoint.
export function discoKind(bytes: Uint8Array): DiscoKind {
  if (bytes.length === 90) return "ping";
  if (bytes.length === 109) return "pong";
  return (bytes.length - 79) % 19 === 0 ? "callMeMaybe" : "other";
}

interface Delivery {
  readonly at: number;
  readonly sequence: number;
  readonly to: SimNode;
  readonly bytes: Uint8Array;
  readonly via: DiscoVia;
}

// One WASM instance for every node of every network: the one-shot AEAD keeps no state between calls.
let sharedCrypto: CryptoCore | null = null;
export const cryptoCore = (): CryptoCore => (sharedCrypto ??= createCryptoCore(compileCryptoWasm("release")));

const STUN_SERVER: Endpoint = { host: "192.0.2.53", port: 3478 };
const WIREGUARD_PORT = 41641;

export class PathNetwork {
  now = 0;
  readonly nodes: SimNode[] = [];
  relayUp = true;
  relayDelayMs = 40;
  udpLatencyMs = 10;
  lanLatencyMs = 1;
  // One-way latency to or from a given endpoint, overriding the above.
  readonly latency = new Map<string, number>();
  // Whether UDP between two nodes is cut (both directions), whatever the NATs say.
  cut: (a: SimNode, b: SimNode, now: number) => boolean = () => false;
  readonly delivered: { at: number; to: SimNode; bytes: Uint8Array; via: DiscoVia }[] = [];
  private readonly queue: Delivery[] = [];
  private sequence = 0;
  private readonly traffic = new Set<string>();
  private nextTrafficAt = 0;
  static readonly TRAFFIC_INTERVAL_MS = 100;

  constructor(private readonly seed: number) {}

  addNode(name: string, options: { nat?: NatConfig; lan?: string } = {}): SimNode {
    const index = this.nodes.length + 1;
    const random = createSeededRandom(this.seed * 1000 + index);
    const privateKey = clampPrivateKey(random.bytes(32));
    const x25519 = createFastestX25519();
    const publicKey = x25519.publicKey(privateKey);
    const manager = createPathManager({ crypto: cryptoCore(), x25519, random, self: { privateKey, publicKey } });
    const nat = options.nat ?? null;
    const lanHost = options.lan !== undefined ? `192.168.77.${index}` : nat !== null ? `192.168.${index}.2` : `198.51.100.${index}`;
    const node: SimNode = {
      name,
      key: encodeKey(publicKey),
      privateKey,
      publicKey,
      manager,
      lanEndpoint: { host: lanHost, port: WIREGUARD_PORT },
      aliases: [],
      lan: options.lan ?? null,
      nat,
      publicIp: nat !== null ? `203.0.113.${index}` : lanHost,
      mappings: new Map(),
      nextPort: 20_000 + index * 100,
      udpBlocked: false,
      mappingVaries: false,
      paths: [],
      sent: [],
      observed: [],
    };
    this.nodes.push(node);
    return node;
  }

  // What a node would report: its local address and, behind a NAT, what a STUN server saw.
  candidatesOf(node: SimNode): Endpoint[] {
    return node.nat === null ? [node.lanEndpoint, ...node.aliases] : [node.lanEndpoint, this.sourceFor(node, STUN_SERVER)];
  }

  // Every node gets every other as a peer, with its candidates (or `override` for some).
  netmap(override: Map<SimNode, Endpoint[]> = new Map()): void {
    for (const node of this.nodes) {
      const peers = this.nodes
        .filter((peer) => peer !== node)
        .map((peer) => ({ publicKey: peer.publicKey, candidates: override.get(peer) ?? this.candidatesOf(peer), mappingVariesByDestination: peer.mappingVaries }));
      this.apply(node, node.manager.setPeers(this.now, peers));
      this.apply(node, node.manager.setOwnCandidates(this.now, override.get(node) ?? this.candidatesOf(node), { mappingVariesByDestination: node.mappingVaries }));
    }
  }

  setRelays(relays: { tcp: boolean; udp?: { relay: Endpoint; relayKey: string }[] }): void {
    for (const node of this.nodes) this.apply(node, node.manager.setRelays(this.now, { tcp: relays.tcp, udp: relays.udp ?? [] }));
  }

  startTraffic(from: SimNode, to: SimNode): void {
    this.traffic.add(`${from.name}>${to.name}`);
    this.nextTrafficAt = this.now;
  }

  stopTraffic(from: SimNode, to: SimNode): void {
    this.traffic.delete(`${from.name}>${to.name}`);
  }

  // Also checks directEndpoint (the packet path's look, which makes no Path) against it.
  route(from: SimNode, to: SimNode): Path {
    const path = from.manager.route(to.publicKey);
    assert.equal(from.manager.directEndpoint(to.publicKey), path.kind === "direct" ? path.endpoint : null, "directEndpoint agrees with route");
    return path;
  }

  // The NAT rebinds: every mapping goes and new ones get new ports.
  rebind(node: SimNode): void {
    node.mappings.clear();
    node.nextPort += 1000;
  }

  inject(to: SimNode, bytes: Uint8Array, via: DiscoVia): PathAction[] {
    const actions = to.manager.handleDisco(this.now, bytes, via);
    this.apply(to, actions);
    return actions;
  }

  runUntil(time: number): void {
    for (let steps = 0; ; steps++) {
      if (steps > 1_000_000) throw new Error("the network never went quiet");
      const next = this.nextEventAt();
      if (next === null || next > time) break;
      this.now = Math.max(this.now, next);
      this.step();
    }
    this.now = Math.max(this.now, time);
  }

  runFor(ms: number): void {
    this.runUntil(this.now + ms);
  }

  private nextEventAt(): number | null {
    const times = [this.queue[0]?.at ?? Infinity, this.traffic.size > 0 ? this.nextTrafficAt : Infinity];
    for (const node of this.nodes) times.push(node.manager.nextDeadline() ?? Infinity);
    const next = Math.min(...times);
    return next === Infinity ? null : next;
  }

  private step(): void {
    while (this.queue.length > 0 && this.queue[0]!.at <= this.now) {
      const delivery = this.queue.shift()!;
      this.delivered.push({ at: this.now, to: delivery.to, bytes: delivery.bytes, via: delivery.via });
      this.apply(delivery.to, delivery.to.manager.handleDisco(this.now, delivery.bytes, delivery.via));
    }
    if (this.traffic.size > 0 && this.nextTrafficAt <= this.now) {
      for (const pair of this.traffic) {
        const [from, to] = pair.split(">").map((name) => this.nodes.find((node) => node.name === name)!);
        from!.manager.onDataSent(this.now, to!.publicKey);
      }
      this.nextTrafficAt = this.now + PathNetwork.TRAFFIC_INTERVAL_MS;
    }
    for (const node of this.nodes) {
      const deadline = node.manager.nextDeadline();
      if (deadline === null || deadline > this.now) continue;
      this.apply(node, node.manager.handleTick(this.now));
      const after = node.manager.nextDeadline();
      if (after !== null && after <= this.now) throw new Error(`${node.name}'s deadline stayed at ${after} after a tick at ${this.now}`);
    }
  }

  private apply(node: SimNode, actions: readonly PathAction[]): void {
    for (const action of actions) {
      switch (action.type) {
        case "sendUdp":
          node.sent.push({ at: this.now, carrier: "udp", to: formatEndpoint(action.to), kind: discoKind(action.datagram) });
          this.sendUdp(node, action.to, action.datagram);
          break;
        case "sendViaTcpRelay":
          node.sent.push({ at: this.now, carrier: "tcp-relay", to: action.to, kind: discoKind(action.datagram) });
          this.relay(action.to, action.datagram, { kind: "tcp-relay", from: node.key });
          break;
        case "sendViaUdpRelay":
          node.sent.push({ at: this.now, carrier: "udp-relay", to: action.to, kind: discoKind(action.datagram) });
          this.relay(action.to, action.datagram, { kind: "udp-relay", relay: action.relay, from: node.key });
          break;
        case "pathChanged":
          node.paths.push({ at: this.now, peer: action.peer, path: action.path });
          break;
        case "observedEndpoints":
          node.observed.push(action.endpoints);
          break;
      }
    }
  }

  private relay(to: string, bytes: Uint8Array, via: DiscoVia): void {
    const target = this.nodes.find((node) => node.key === to);
    if (this.relayUp && target !== undefined) this.enqueue(this.now + this.relayDelayMs, target, bytes, via);
  }

  // The source address `node`'s packets to `to` leave with (creating the NAT mapping).
  private sourceFor(node: SimNode, to: Endpoint): Endpoint {
    if (node.nat === null) return node.lanEndpoint;
    const key = node.nat.mapping === "eim" ? "*" : formatEndpoint(to);
    let mapping = node.mappings.get(key);
    if (mapping === undefined) {
      mapping = { port: node.nextPort++, sentTo: new Set() };
      node.mappings.set(key, mapping);
    }
    mapping.sentTo.add(formatEndpoint(to));
    return { host: node.publicIp, port: mapping.port };
  }

  private sendUdp(from: SimNode, to: Endpoint, bytes: Uint8Array): void {
    if (from.udpBlocked) return;
    const lanPeer = this.nodes.find((node) => node !== from && node.lan !== null && node.lan === from.lan && formatEndpoint(node.lanEndpoint) === formatEndpoint(to));
    if (lanPeer !== undefined) {
      if (!lanPeer.udpBlocked && !this.cut(from, lanPeer, this.now)) this.enqueue(this.now + this.lanLatencyMs, lanPeer, bytes, { kind: "udp", from: from.lanEndpoint });
      return;
    }
    const source = this.sourceFor(from, to);
    const target = this.nodes.find((node) => node !== from && this.accepts(node, to, source));
    if (target === undefined || target.udpBlocked || this.cut(from, target, this.now)) return;
    const latency = this.latency.get(formatEndpoint(to)) ?? this.latency.get(formatEndpoint(source)) ?? this.udpLatencyMs;
    this.enqueue(this.now + latency, target, bytes, { kind: "udp", from: source });
  }

  // Whether `node` owns public endpoint `to` and its NAT lets a packet from `source` in.
  private accepts(node: SimNode, to: Endpoint, source: Endpoint): boolean {
    if (node.nat === null) return [node.lanEndpoint, ...node.aliases].some((own) => formatEndpoint(own) === formatEndpoint(to));
    if (node.publicIp !== to.host) return false;
    const mapping = [...node.mappings.values()].find((m) => m.port === to.port);
    if (mapping === undefined) return false;
    return node.nat.filtering === "open" || mapping.sentTo.has(formatEndpoint(source));
  }

  private enqueue(at: number, to: SimNode, bytes: Uint8Array, via: DiscoVia): void {
    this.queue.push({ at, sequence: this.sequence++, to, bytes, via });
    this.queue.sort((a, b) => a.at - b.at || a.sequence - b.sequence);
  }
}

// When `node`'s path to `peer` first matched `predicate` at or after `since`, or null.
export function firstPath(node: SimNode, peer: SimNode, since: number, predicate: (path: Path) => boolean): number | null {
  const entry = node.paths.find((p) => p.peer === peer.key && p.at >= since && predicate(p.path));
  return entry?.at ?? null;
}
