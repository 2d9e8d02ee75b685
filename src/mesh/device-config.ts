// The wg-quick file a device without meshgate (a phone with the stock WireGuard app) imports:
// its own key and mesh addresses, and one peer — the node hosting it — through which it reaches
// the whole mesh. Pure text; the private key is the caller's to wipe.

import type { HostedDevice } from "./control-protocol.js";

export interface DeviceConfigInput {
  readonly device: HostedDevice;
  readonly privateKey: string; // base64
  readonly hostPublicKey: string; // base64
  readonly hostEndpoint: string; // "ip:port" the device can reach the host at
  readonly meshRanges: readonly string[]; // what it routes through the host
}

// A file name the WireGuard apps accept as a tunnel name (letters, digits, - _, at most 15).
export function deviceFileName(name: string): string {
  const slug = name.toLowerCase().normalize("NFKD").replace(/[^a-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 15);
  return `${slug === "" ? "meshgate" : slug}.conf`;
}

export function deviceConfig(input: DeviceConfigInput): string {
  return [
    `# ${input.device.name}: a device of the meshgate mesh, through its host (import in the WireGuard app)`,
    "[Interface]",
    `PrivateKey = ${input.privateKey}`,
    `Address = ${input.device.ipv4}/32, ${input.device.ipv6}/128`,
    "",
    "[Peer]",
    `PublicKey = ${input.hostPublicKey}`,
    `Endpoint = ${input.hostEndpoint}`,
    `AllowedIPs = ${input.meshRanges.join(", ")}`,
    // Phones sleep and move between networks: the keepalive keeps the host's NAT state, and
    // the host learns the phone's new address from its next packet.
    "PersistentKeepalive = 25",
    "",
  ].join("\n");
}
