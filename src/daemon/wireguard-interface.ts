// Composition root of `meshgate wg up`: one userspace WireGuard interface from a wg-quick file,
// with no coordinator — the peers are the file's.

import { readFileSync } from "node:fs";
import { planWgQuick } from "../interface/wg-quick-plan.js";
import { resolveEndpoint } from "../io/resolve-endpoint.js";
import { createSystemRandom } from "../io/system-random.js";
import { uapiSocketPath } from "../io/uapi-socket.js";
import { parseWireGuardConfig } from "../wireguard/config.js";
import type { PeerSettings } from "../wireguard/device.js";
import { checkedDataplane } from "./checked-dataplane.js";
import { bringUpInterface, type Log, type RunningInterface } from "./interface.js";

function readConfig(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (cause) {
    throw new Error(`cannot read ${path}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`, { cause });
  }
}

export async function startWireGuardInterface(options: { readonly configPath: string; readonly log: Log }): Promise<RunningInterface> {
  const config = parseWireGuardConfig(readConfig(options.configPath), options.configPath);
  const plan = planWgQuick(options.configPath, config);
  for (const warning of plan.warnings) options.log(`warning: ${warning}`);
  const peers = await Promise.all(
    config.peers.map(async (peer): Promise<PeerSettings> => ({
      publicKey: peer.publicKey,
      allowedIps: peer.allowedIps,
      ...(peer.presharedKey ? { presharedKey: peer.presharedKey } : {}),
      ...(peer.endpoint ? { endpoint: await resolveEndpoint(peer.endpoint) } : {}),
      ...(peer.persistentKeepalive ? { persistentKeepaliveSeconds: peer.persistentKeepalive } : {}),
    })),
  );
  const running = await bringUpInterface({
    dataplane: checkedDataplane(),
    random: createSystemRandom(),
    name: plan.interfaceName,
    privateKey: config.interface.privateKey!,
    mtu: plan.mtu,
    addresses: plan.addresses,
    routes: plan.routes,
    routeTable: plan.routeTable,
    listenPort: config.interface.listenPort ?? 0,
    fwmark: config.interface.fwMark ?? 0,
    peers,
    log: options.log,
  });
  options.log(`${running.name} is up: UDP port ${running.listenPort}, ${peers.length} peer(s), MTU ${plan.mtu}, UAPI ${uapiSocketPath(running.name)}`);
  return running;
}
