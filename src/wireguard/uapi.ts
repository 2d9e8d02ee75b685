// The cross-platform userspace API (wireguard.com/xplatform): the text protocol `wg` speaks
// to a userspace implementation over /var/run/wireguard/<interface>.sock. Pure: parsing a
// set=1 request into changes, formatting the get=1 answer. Keys travel as lowercase hex.
//
//   get=1\n\n                    → key=value lines describing the device, errno=0, blank line
//   set=1\nkey=value…\n\n         → errno=0 (or errno=N), blank line
//
// A set request lists device keys first (private_key, listen_port, fwmark, replace_peers),
// then per peer a public_key line followed by that peer's keys.
//
// Secrets: private_key and preshared_key are text in this protocol, so they pass through JS
// strings (the socket's request and the get=1 answer) that cannot be wiped; only root can open
// the socket. The keys the device keeps are bytes.

import { formatEndpoint, parseIpEndpoint, type Endpoint } from "../net/endpoint.js";
import { formatIpPrefix, parseIpPrefix, type IpPrefix } from "../net/ip-prefix.js";

// errno values wg prints (the ones wireguard-go returns).
export const UAPI_EINVAL = 22;
export const UAPI_EPROTO = 71;
export const UAPI_EADDRINUSE = 98;

export interface UapiPeerChange {
  readonly publicKey: Uint8Array;
  remove: boolean;
  updateOnly: boolean;
  presharedKey?: Uint8Array | null;
  endpoint?: Endpoint;
  persistentKeepaliveSeconds?: number;
  replaceAllowedIps: boolean;
  readonly allowedIps: IpPrefix[];
}

export interface UapiSet {
  privateKey?: Uint8Array | null;
  listenPort?: number;
  fwmark?: number;
  replacePeers: boolean;
  readonly peers: UapiPeerChange[];
}

export class UapiError extends Error {
  override readonly name = "UapiError";
  constructor(
    message: string,
    readonly errno: number = UAPI_EINVAL,
  ) {
    super(message);
  }
}

const isZero = (bytes: Uint8Array): boolean => bytes.every((b) => b === 0);

function hexKey(value: string, key: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(value)) throw new UapiError(`${key}: expected 64 lowercase hex digits`);
  return Uint8Array.from(Buffer.from(value, "hex"));
}

function integer(value: string, key: string, max: number): number {
  if (!/^[0-9]+$/.test(value) || Number(value) > max) throw new UapiError(`${key}: expected an integer from 0 to ${max}, got "${value}"`);
  return Number(value);
}

function flag(value: string, key: string): boolean {
  if (value !== "true") throw new UapiError(`${key}: only "true" is meaningful, got "${value}"`);
  return true;
}

// Parses the lines of a set=1 request (without the set=1 line and the blank line). Throws
// UapiError naming the line and key.
export function parseUapiSet(lines: readonly string[]): UapiSet {
  const request: UapiSet = { replacePeers: false, peers: [] };
  let peer: UapiPeerChange | null = null;
  lines.forEach((line, index) => {
    const equals = line.indexOf("=");
    if (equals <= 0) throw new UapiError(`line ${index + 1}: expected key=value, got "${line}"`, UAPI_EPROTO);
    const key = line.slice(0, equals);
    const value = line.slice(equals + 1);
    try {
      if (peer === null && key !== "public_key") applyDeviceKey(request, key, value);
      else if (key === "public_key") {
        peer = { publicKey: hexKey(value, key), remove: false, updateOnly: false, replaceAllowedIps: false, allowedIps: [] };
        request.peers.push(peer);
      } else applyPeerKey(peer!, key, value);
    } catch (error) {
      if (error instanceof UapiError) throw new UapiError(`line ${index + 1}: ${error.message}`, error.errno);
      throw error;
    }
  });
  return request;
}

function applyDeviceKey(request: UapiSet, key: string, value: string): void {
  switch (key) {
    case "private_key": {
      const privateKey = hexKey(value, key);
      request.privateKey = isZero(privateKey) ? null : privateKey;
      return;
    }
    case "listen_port":
      request.listenPort = integer(value, key, 65535);
      return;
    case "fwmark":
      request.fwmark = integer(value, key, 0xffffffff);
      return;
    case "replace_peers":
      request.replacePeers = flag(value, key);
      return;
    default:
      throw new UapiError(`unknown device key "${key}"`);
  }
}

function applyPeerKey(peer: UapiPeerChange, key: string, value: string): void {
  switch (key) {
    case "remove":
      peer.remove = flag(value, key);
      return;
    case "update_only":
      peer.updateOnly = flag(value, key);
      return;
    case "preshared_key": {
      const presharedKey = hexKey(value, key);
      peer.presharedKey = isZero(presharedKey) ? null : presharedKey;
      return;
    }
    case "endpoint": {
      const endpoint = parseIpEndpoint(value);
      if (endpoint === null) throw new UapiError(`endpoint: expected IP:port or [IPv6]:port, got "${value}"`);
      peer.endpoint = endpoint;
      return;
    }
    case "persistent_keepalive_interval":
      peer.persistentKeepaliveSeconds = integer(value, key, 65535);
      return;
    case "replace_allowed_ips":
      peer.replaceAllowedIps = flag(value, key);
      return;
    case "allowed_ip": {
      const prefix = parseIpPrefix(value);
      if (prefix === null) throw new UapiError(`allowed_ip: expected an IP prefix, got "${value}"`);
      peer.allowedIps.push(prefix);
      return;
    }
    case "protocol_version":
      if (value !== "1") throw new UapiError(`protocol_version: only version 1 exists, got "${value}"`);
      return;
    default:
      throw new UapiError(`unknown peer key "${key}"`);
  }
}

export interface UapiDeviceState {
  readonly privateKey: Uint8Array | null;
  readonly listenPort: number;
  readonly fwmark: number;
  readonly peers: readonly {
    readonly publicKey: Uint8Array;
    readonly presharedKey: Uint8Array | null;
    readonly endpoint: Endpoint | null;
    readonly lastHandshakeWallMs: number | null;
    readonly txBytes: number;
    readonly rxBytes: number;
    readonly persistentKeepaliveSeconds: number;
    readonly allowedIps: readonly IpPrefix[];
  }[];
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

// The body of a get=1 answer, ending with errno=0 and the blank line.
export function formatUapiGet(state: UapiDeviceState): string {
  const lines: string[] = [];
  if (state.privateKey !== null) lines.push(`private_key=${hex(state.privateKey)}`);
  if (state.listenPort !== 0) lines.push(`listen_port=${state.listenPort}`);
  if (state.fwmark !== 0) lines.push(`fwmark=${state.fwmark}`);
  for (const peer of state.peers) {
    lines.push(`public_key=${hex(peer.publicKey)}`);
    lines.push(`preshared_key=${hex(peer.presharedKey ?? new Uint8Array(32))}`);
    lines.push("protocol_version=1");
    if (peer.endpoint !== null) lines.push(`endpoint=${formatEndpoint(peer.endpoint)}`);
    const handshakeMs = peer.lastHandshakeWallMs ?? 0;
    lines.push(`last_handshake_time_sec=${Math.floor(handshakeMs / 1000)}`);
    lines.push(`last_handshake_time_nsec=${(handshakeMs % 1000) * 1_000_000}`);
    lines.push(`tx_bytes=${peer.txBytes}`);
    lines.push(`rx_bytes=${peer.rxBytes}`);
    lines.push(`persistent_keepalive_interval=${peer.persistentKeepaliveSeconds}`);
    for (const prefix of peer.allowedIps) lines.push(`allowed_ip=${formatIpPrefix(prefix)}`);
  }
  lines.push("errno=0", "", "");
  return lines.join("\n");
}
