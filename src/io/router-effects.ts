// The subnet router's side effects on this host: nftables (nftables.ts) and the forwarding
// sysctls (sysctl.ts), in the shape src/router/subnet-router.ts asks for.

import type { RouterEffects } from "../router/subnet-router.js";
import { createNftables } from "./nftables.js";
import { readSysctl, writeSysctl } from "./sysctl.js";

export function createRouterEffects(): RouterEffects {
  const nftables = createNftables();
  return { applyNftScript: nftables.applyScript, deleteNftTable: nftables.deleteInetTable, readSysctl, writeSysctl };
}
