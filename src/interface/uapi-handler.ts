// Answers UAPI requests (src/wireguard/uapi.ts) for a running interface: get=1 describes the
// device, set=1 changes it — keys, peers, AllowedIPs, endpoints, keepalives, and the listen port
// and fwmark (a new port means new UDP sockets; a new mark alone is set on the open ones, so
// the port is never given up). Like `wg set`, it never touches routes.

import type { UapiHandler } from "../io/uapi-socket.js";
import type { UdpSockets } from "../io/udp.js";
import type { Device, PeerSettings } from "../wireguard/device.js";
import { formatUapiGet, parseUapiSet, UAPI_EADDRINUSE, UAPI_EPROTO, UapiError, type UapiSet } from "../wireguard/uapi.js";
import type { PacketLoop } from "./packet-loop.js";

export interface InterfaceSettings {
  listenPort: number;
  fwmark: number;
}

export interface UapiHandlerDeps {
  readonly device: Device;
  readonly loop: PacketLoop;
  readonly settings: InterfaceSettings;
  readonly now: () => number;
  readonly openUdp: (port: number, fwmark: number) => UdpSockets;
  readonly log: (line: string) => void;
}

export function createUapiHandler(deps: UapiHandlerDeps): UapiHandler {
  const { device, loop, settings } = deps;

  const rebind = (port: number, fwmark: number): void => {
    if (port === settings.listenPort && fwmark === settings.fwmark) return;
    if (port === settings.listenPort) {
      try {
        loop.udp.setFwmark(fwmark);
      } catch (error) {
        throw new UapiError(`cannot set fwmark ${fwmark}: ${error instanceof Error ? error.message : String(error)}`, UAPI_EPROTO);
      }
      settings.fwmark = fwmark;
      return;
    }
    let udp: UdpSockets;
    try {
      udp = deps.openUdp(port, fwmark);
    } catch (error) {
      const inUse = error instanceof Error && "code" in error && error.code === "EADDRINUSE";
      throw new UapiError(`cannot listen on port ${port}: ${error instanceof Error ? error.message : String(error)}`, inUse ? UAPI_EADDRINUSE : UAPI_EPROTO);
    }
    loop.replaceUdp(udp);
    settings.listenPort = udp.port;
    settings.fwmark = fwmark;
  };

  const applySet = (set: UapiSet): void => {
    if (set.privateKey !== undefined) device.setPrivateKey(set.privateKey);
    if (set.listenPort !== undefined || set.fwmark !== undefined) {
      rebind(set.listenPort ?? settings.listenPort, set.fwmark ?? settings.fwmark);
    }
    if (set.replacePeers) for (const peer of device.peers()) device.removePeer(peer.publicKey);
    for (const change of set.peers) {
      if (change.remove) {
        device.removePeer(change.publicKey);
        continue;
      }
      if (change.updateOnly && !device.hasPeer(change.publicKey)) continue;
      const settingsForPeer: PeerSettings = {
        publicKey: change.publicKey,
        allowedIps: change.allowedIps,
        replaceAllowedIps: change.replaceAllowedIps,
        ...(change.presharedKey !== undefined ? { presharedKey: change.presharedKey } : {}),
        ...(change.endpoint !== undefined ? { endpoint: change.endpoint } : {}),
        ...(change.persistentKeepaliveSeconds !== undefined ? { persistentKeepaliveSeconds: change.persistentKeepaliveSeconds } : {}),
      };
      loop.apply(device.upsertPeer(deps.now(), settingsForPeer));
    }
  };

  return (request) => {
    const [operation, ...lines] = request;
    if (operation === "get=1" && lines.length === 0) {
      return formatUapiGet({
        privateKey: device.privateKey,
        listenPort: settings.listenPort,
        fwmark: settings.fwmark,
        peers: device.peers(),
      });
    }
    if (operation !== "set=1") return `errno=${UAPI_EPROTO}\n\n`;
    try {
      applySet(parseUapiSet(lines));
      return "errno=0\n\n";
    } catch (error) {
      deps.log(`uapi set refused: ${error instanceof Error ? error.message : String(error)}`);
      return `errno=${error instanceof UapiError ? error.errno : UAPI_EPROTO}\n\n`;
    }
  };
}
