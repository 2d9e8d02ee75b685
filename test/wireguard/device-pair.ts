// Two (or more) Devices on a MemoryNetwork, each on its own WASM dataplane, with seeded keys
// and randomness: the fixture of the protocol tests.

import { createDataplane, type Dataplane } from "../../src/dataplane/dataplane.js";
import { compileCryptoWasm, type CompiledCryptoWasm } from "../../src/dataplane/crypto-wasm.js";
import { createDevice, type Device, type DeviceAction, type DeviceOptions, type DeviceOutput } from "../../src/wireguard/device.js";
import type { Endpoint } from "../../src/net/endpoint.js";
import { parseIpPrefix, type IpPrefix } from "../../src/net/ip-prefix.js";
import { clampPrivateKey, createFastestX25519, type X25519 } from "../../src/wireguard/x25519.js";
import { MemoryNetwork, type NetworkConditions, type Node } from "../fakes/memory-network.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

// Wall clock at network time 0 (2026-01-01): only handshake timestamps read it.
export const WALL_CLOCK_BASE_MS = Date.UTC(2026, 0, 1);

let compiled: CompiledCryptoWasm | null = null;
export function dataplaneForTest(): Dataplane {
  compiled ??= compileCryptoWasm("release");
  return createDataplane(compiled);
}

export interface TestNode extends Node {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly address4: string;
  readonly address6: string;
  readonly dataplane: Dataplane;
}

export function prefixes(...texts: string[]): IpPrefix[] {
  return texts.map((text) => {
    const prefix = parseIpPrefix(text);
    if (prefix === null) throw new Error(`bad prefix ${text}`);
    return prefix;
  });
}

export class TestMesh {
  readonly network: MemoryNetwork;
  private readonly random;

  // `x25519`: every device's Curve25519 (tests count its calls to see what work was done).
  constructor(seed: number, conditions: NetworkConditions = {}, private readonly x25519: X25519 = createFastestX25519()) {
    this.random = createSeededRandom(seed);
    this.network = new MemoryNetwork(createSeededRandom(seed ^ 0x5eed), conditions);
  }

  addNode(name: string, number: number, options: DeviceOptions = {}): TestNode {
    const privateKey = clampPrivateKey(this.random.bytes(32));
    const dataplane = dataplaneForTest();
    const device: Device = createDevice(
      {
        ...dataplane,
        x25519: this.x25519,
        random: createSeededRandom(number * 7919),
        wallClock: () => WALL_CLOCK_BASE_MS + this.network.now,
      },
      { ...options, privateKey },
    );
    const endpoint: Endpoint = { host: `192.0.2.${number}`, port: 51820 };
    const node = this.network.add(name, device, endpoint);
    return Object.assign(node, {
      privateKey,
      publicKey: device.publicKey!,
      address4: `10.0.0.${number}`,
      address6: `fd00::${number}`,
      dataplane,
    });
  }

  // a knows b (AllowedIPs: b's addresses), with b's endpoint unless `withEndpoint` is false.
  introduce(a: TestNode, b: TestNode, withEndpoint = true, extra: { persistentKeepaliveSeconds?: number } = {}): void {
    this.network.apply(
      a,
      a.device.upsertPeer(this.network.now, {
        publicKey: b.publicKey,
        allowedIps: prefixes(`${b.address4}/32`, `${b.address6}/128`),
        ...(withEndpoint ? { endpoint: b.endpoint } : {}),
        ...extra,
      }),
    );
  }

  pair(): [TestNode, TestNode] {
    const a = this.addNode("a", 1);
    const b = this.addNode("b", 2);
    this.introduce(a, b);
    this.introduce(b, a);
    return [a, b];
  }
}

// A batch call's output as actions (copies), in the order the packet loop sends them: the
// actions, then the datagrams and TUN packets listed by place.
export function outputActions(device: Device, output: DeviceOutput): DeviceAction[] {
  const bytes = (offset: number, length: number): Uint8Array => new Uint8Array(device.batchLayout.buffer, offset, length).slice();
  const { sends, tunWrites } = output;
  return [
    ...output.actions,
    ...Array.from({ length: sends.count }, (_, i): DeviceAction => ({ type: "send", to: sends.to[i]!, datagram: bytes(sends.offsets[i]!, sends.lengths[i]!) })),
    ...Array.from({ length: tunWrites.count }, (_, i): DeviceAction => ({ type: "tun", packet: bytes(tunWrites.offsets[i]!, tunWrites.lengths[i]!) })),
  ];
}
