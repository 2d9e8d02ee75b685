// Writing a configuration file in the canonical layout `wg showconf` and wg-quick's
// save_config use: "[Interface]" first, then one "[Peer]" per peer, "Key = Value" lines, list
// entries joined by ", ", unset fields left out. parseWireGuardConfig reads the text back to an
// equal config.

import type { InterfaceConfig, PeerConfig, WireGuardConfig } from "./config-model.js";
import { formatEndpoint } from "../net/endpoint.js";
import { formatIpPrefix } from "../net/ip-prefix.js";
import { encodeKey } from "./key-base64.js";

/**
 * Throws RangeError for a value no file could hold and read back: a key that is not 32 bytes,
 * or a DNS entry, Table or hook with a line break (a line break in a value would let it add
 * lines of its own, e.g. a [Peer] smuggled in through a DNS setting).
 */
export function formatWireGuardConfig(config: WireGuardConfig): string {
  const sections = [formatInterface(config.interface), ...config.peers.map(formatPeer)];
  return sections.map((lines) => `${lines.join("\n")}\n`).join("\n");
}

function formatInterface(config: InterfaceConfig): string[] {
  const lines = ["[Interface]"];
  if (config.privateKey !== undefined) lines.push(`PrivateKey = ${encodeKey(config.privateKey)}`);
  if (config.listenPort !== undefined) lines.push(`ListenPort = ${config.listenPort}`);
  if (config.fwMark !== undefined) {
    // `wg showconf` prints a mark in hex; 0 is written "off" so that it reads back as set.
    lines.push(`FwMark = ${config.fwMark === 0 ? "off" : `0x${config.fwMark.toString(16)}`}`);
  }
  if (config.addresses.length > 0) lines.push(`Address = ${config.addresses.map(formatIpPrefix).join(", ")}`);
  if (config.dns.length > 0) lines.push(`DNS = ${config.dns.map((entry) => singleLine("DNS", entry)).join(", ")}`);
  if (config.mtu !== undefined) lines.push(`MTU = ${config.mtu}`);
  if (config.table !== undefined) lines.push(`Table = ${singleLine("Table", config.table)}`);
  if (config.saveConfig !== undefined) lines.push(`SaveConfig = ${config.saveConfig}`);
  const hooks = [
    ["PreUp", config.preUp],
    ["PostUp", config.postUp],
    ["PreDown", config.preDown],
    ["PostDown", config.postDown],
  ] as const;
  for (const [name, commands] of hooks) {
    for (const command of commands) lines.push(`${name} = ${singleLine(name, command)}`);
  }
  return lines;
}

function formatPeer(peer: PeerConfig): string[] {
  const lines = ["[Peer]", `PublicKey = ${encodeKey(peer.publicKey)}`];
  if (peer.presharedKey !== undefined) lines.push(`PresharedKey = ${encodeKey(peer.presharedKey)}`);
  if (peer.allowedIps.length > 0) lines.push(`AllowedIPs = ${peer.allowedIps.map(formatIpPrefix).join(", ")}`);
  if (peer.endpoint !== undefined) lines.push(`Endpoint = ${formatEndpoint(peer.endpoint)}`);
  if (peer.persistentKeepalive !== undefined) lines.push(`PersistentKeepalive = ${peer.persistentKeepalive}`);
  return lines;
}

function singleLine(field: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new RangeError(`${field} value contains a line break: ${JSON.stringify(value)}`);
  return value;
}
