// Devices without meshgate a node hosts (phones and tablets with the stock WireGuard app): the
// node makes the device's key pair, asks the coordinator for its addresses, and hands out a
// wg-quick file whose one peer is this node; the private key is in that file only. The netmap
// then makes the device a WireGuard peer here and routes its addresses here everywhere
// (desired-peers.ts); the subnet router forwards its traffic (src/router). Removing it asks the
// coordinator, and the next netmap takes it out everywhere.

import { formatEndpoint } from "../net/endpoint.js";
import { ControlRefusal, type ControlClient } from "../mesh/control-client.js";
import { deviceNameProblem } from "../mesh/control-service.js";
import { deviceConfig, deviceFileName } from "../mesh/device-config.js";
import type { Netmap } from "../mesh/netmap.js";
import { NodeRequestError, type DeviceView, type NodeDevices } from "../mesh/node-api-http.js";
import type { PeerStatus } from "../wireguard/device.js";
import { encodeKey } from "../wireguard/key-base64.js";
import type { RandomSource } from "../wireguard/random-source.js";
import { clampPrivateKey, type X25519 } from "../wireguard/x25519.js";

export interface MeshDevicesDeps {
  readonly client: ControlClient;
  readonly x25519: X25519;
  readonly random: RandomSource;
  readonly hostPublicKey: string;
  readonly netmap: () => Netmap | null;
  readonly devicePeers: () => readonly PeerStatus[];
  // Where a device reaches this node: a port the router maps if it granted one (reachable from
  // anywhere), else this node's LAN address (reachable at home).
  readonly hostEndpoint: () => string | null;
  readonly meshRanges: readonly string[];
  readonly log: (line: string) => void;
  // Resolves when `done()` holds or after `limitMs` (the netmap catching up with a change).
  readonly settle: (done: () => boolean, limitMs: number) => Promise<void>;
}

// How long add() and remove() wait for the netmap to show the change: the coordinator publishes
// within milliseconds, so the device is a peer here (and listed) by the time its file is handed out.
const SETTLE_LIMIT_MS = 2000;

// The coordinator's refusal as the node API answers it.
function refusalOf(error: unknown): never {
  if (error instanceof ControlRefusal) throw new NodeRequestError(error.status === 400 || error.status === 409 ? (error.status as 400 | 409) : 409, error.message, "name");
  const message = error instanceof Error ? error.message : String(error);
  throw new NodeRequestError(409, `the coordinator cannot be reached (${message}): try again when it answers`);
}

export function createMeshDevices(deps: MeshDevicesDeps): NodeDevices {
  const list = (): DeviceView[] => {
    const peers = new Map(deps.devicePeers().map((peer) => [encodeKey(peer.publicKey), peer]));
    return (deps.netmap()?.self.devices ?? []).map((device) => {
      const peer = peers.get(device.publicKey);
      return {
        ...device,
        lastHandshakeAt: peer?.lastHandshakeWallMs ?? null,
        rxBytes: peer?.rxBytes ?? 0,
        txBytes: peer?.txBytes ?? 0,
        endpoint: peer?.endpoint ? formatEndpoint(peer.endpoint) : null,
      };
    });
  };

  return {
    list,
    async add(name) {
      const problem = deviceNameProblem(name);
      if (problem !== null) throw new NodeRequestError(400, problem, "name");
      const endpoint = deps.hostEndpoint();
      if (endpoint === null) throw new NodeRequestError(409, "this node has no address a device could reach it at (no LAN address, no port mapping)");
      const privateKey = clampPrivateKey(deps.random.bytes(32));
      const publicKey = encodeKey(deps.x25519.publicKey(privateKey));
      try {
        const answer = await deps.client.call({ op: "device-add", name, publicKey }).catch(refusalOf);
        if (answer.op !== "device-add") throw new NodeRequestError(409, `the coordinator answered ${answer.op} to device-add`);
        deps.log(`device ${name} added as ${answer.device.ipv4}`);
        await deps.settle(() => list().some((device) => device.publicKey === publicKey), SETTLE_LIMIT_MS);
        const config = deviceConfig({ device: answer.device, privateKey: encodeKey(privateKey), hostPublicKey: deps.hostPublicKey, hostEndpoint: endpoint, meshRanges: deps.meshRanges });
        return { view: { ...answer.device, lastHandshakeAt: null, rxBytes: 0, txBytes: 0, endpoint: null }, config, fileName: deviceFileName(name) };
      } finally {
        privateKey.fill(0); // the config's text is the only copy left, and it goes to the person
      }
    },
    async remove(publicKey) {
      const device = list().find((candidate) => candidate.publicKey === publicKey);
      if (device === undefined) throw new NodeRequestError(404, "this node hosts no such device (see meshgate devices list)", "device");
      const answer = await deps.client.call({ op: "device-remove", publicKey }).catch(refusalOf);
      if (answer.op !== "device-remove") throw new NodeRequestError(409, `the coordinator answered ${answer.op} to device-remove`);
      deps.log(`device ${device.name} removed`);
      await deps.settle(() => !list().some((candidate) => candidate.publicKey === publicKey), SETTLE_LIMIT_MS);
      return device;
    },
  };
}

// The endpoint a device should be given, from what this node reports.
export function deviceEndpoint(report: { readonly endpoints: readonly string[]; readonly nat: { readonly portMapping: string | null } }, local: readonly string[]): string | null {
  if (report.nat.portMapping !== null && report.endpoints[0] !== undefined) return report.endpoints[0];
  return local.find((endpoint) => !endpoint.startsWith("[")) ?? local[0] ?? null;
}
