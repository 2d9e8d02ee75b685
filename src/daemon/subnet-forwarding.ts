// The real-world pieces of a node's routing: the subnet router on nftables and /proc/sys, and
// src_valid_mark for fwmark policy routing (on while an exit node or a wg-quick default route
// is in use, then put back to what it was).

import { createRouterEffects } from "../io/router-effects.js";
import { readSysctl, writeSysctl } from "../io/sysctl.js";
import { createSubnetRouter, type SubnetRouter } from "../router/subnet-router.js";
import type { Log } from "./interface.js";

export function createSubnetForwarding(meshInterface: string, log: Log): SubnetRouter {
  return createSubnetRouter({ meshInterface, effects: createRouterEffects(), log });
}

// Whether this host forwards packets already, meshgate or not.
export async function hostForwards(): Promise<boolean> {
  return (await readSysctl("net.ipv4.ip_forward")) === "1" || (await readSysctl("net.ipv6.conf.all.forwarding")) === "1";
}

// Users of the setting (a mesh node's exit routing, each wg-quick interface with a default
// route) are counted within this process; the value before the first is restored after the last.
let users = 0;
let before: string | null = null;

export async function setSourceValidMark(on: boolean): Promise<void> {
  if (on) {
    if (users++ > 0) return;
    before = await readSysctl("net.ipv4.conf.all.src_valid_mark");
    if (before !== null && before !== "1") await writeSysctl("net.ipv4.conf.all.src_valid_mark", "1");
  } else {
    if (users === 0 || --users > 0) return;
    if (before !== null && before !== "1") await writeSysctl("net.ipv4.conf.all.src_valid_mark", before);
    before = null;
  }
}
