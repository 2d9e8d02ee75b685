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
import { applyPolicyRouting, removePolicyRouting } from "./policy-routing.js";
import { setSourceValidMark } from "./subnet-forwarding.js";
import { planDefaultRouteRouting } from "../router/policy-routing.js";

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
  // All traffic through the tunnel, as wg-quick does it (local networks stay reachable): in
  // place before the interface answers, so `wg up` returns with it done.
  const defaults = plan.defaultRoutes;
  const routing = defaults === null ? null : planDefaultRouteRouting({ ...defaults, interfaceName: plan.interfaceName, allowLocalNetworks: true, bypass: [] });
  const route = async (name: string): Promise<void> => {
    if (routing === null) return;
    try {
      if (defaults!.families.includes(4)) await setSourceValidMark(true);
      await applyPolicyRouting(name, routing);
    } catch (error) {
      await removePolicyRouting(name, routing).catch(() => undefined);
      if (defaults!.families.includes(4)) await setSourceValidMark(false).catch(() => undefined);
      throw error;
    }
  };
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
    fwmark: plan.fwmark,
    peers,
    beforeReady: route,
    log: options.log,
  });
  if (routing === null || defaults === null) {
    options.log(`${running.name} is up: UDP port ${running.listenPort}, ${peers.length} peer(s), MTU ${plan.mtu}, UAPI ${uapiSocketPath(running.name)}`);
    return running;
  }
  options.log(`${running.name} is up: UDP port ${running.listenPort}, ${peers.length} peer(s), MTU ${plan.mtu}, default route through the tunnel (table ${defaults.table}, fwmark 0x${defaults.fwmark.toString(16)}), UAPI ${uapiSocketPath(running.name)}`);
  let unrouted: Promise<void> | null = null;
  const unroute = (): Promise<void> =>
    (unrouted ??= removePolicyRouting(running.name, routing)
      .then(() => (defaults.families.includes(4) ? setSourceValidMark(false) : undefined))
      .catch((error: Error) => options.log(`taking back the default route: ${error.message}`)));
  void running.stopped.then(unroute); // also when the TUN is deleted from outside
  return { ...running, stop: async () => (await unroute(), await running.stop()) };
}
