// The router side of subnet routing: keeps meshgate's nftables table and the kernel's
// forwarding switches in line with the approved routes. The rules come from router-rules.ts;
// the side effects come in as RouterEffects (src/io/router-effects.ts has the real ones), so
// this runs in tests against a fake.
//
// 1. update(config): the script for the config; if the last update already left the system
//    in exactly that state, nothing is done (replacing the table would also reset its counter).
// 2. Routing something: the table is replaced first, then forwarding is switched on for the
//    families that need it — never forwarding without the filter in place.
// 3. Forwarding this router switched on and no longer needs is put back to what it was. With
//    nothing to route the table stays as a guard (router-rules.ts); stop() puts forwarding
//    back and deletes the table.
// Changes run one at a time, in call order. A failed step rejects that call and is retried by
// the next one; what is remembered (the old sysctl values) only records what really changed.

import type { IpPrefix } from "../net/ip-prefix.js";
import type { AdvertisedRoute } from "../net/subnet-route.js";
import { routerRuleset, routerTableName } from "./router-rules.js";

export interface RouterConfig {
  readonly routes: readonly AdvertisedRoute[]; // approved subnet routes only
  readonly exitNode: boolean; // approved as an exit node
  readonly snat: boolean; // masquerade mesh traffic into the LAN (default true; --snat-subnet-routes=false)
  // The mesh addresses of devices without meshgate this node hosts (/32, /128): their traffic
  // comes in and goes out through the mesh interface itself. Absent: none.
  readonly hosted?: readonly IpPrefix[];
}

export interface SubnetRouter {
  /** Idempotent; serialised (one change at a time); nothing to route → the guard table (router-rules.ts). */
  update(config: RouterConfig): Promise<void>;
  /** Removes meshgate's table and restores the forwarding sysctls it changed. */
  stop(): Promise<void>;
}

/** The kernel switches a router turns on: IPv4 forwarding, and IPv6 forwarding on every interface. */
export type ForwardingSysctl = "net.ipv4.ip_forward" | "net.ipv6.conf.all.forwarding";

export interface RouterEffects {
  /** Runs an nft script as one transaction (`nft -f`): all of it takes effect or none. */
  applyNftScript(script: string): Promise<void>;
  /** Deletes `table inet <name>` with everything in it; a table that is not there is no error. */
  deleteNftTable(name: string): Promise<void>;
  /** The value as the kernel shows it ("0", "1"), or null when it does not exist (IPv6 disabled). */
  readSysctl(name: ForwardingSysctl): Promise<string | null>;
  writeSysctl(name: ForwardingSysctl, value: string): Promise<void>;
}

export interface SubnetRouterDeps {
  readonly meshInterface: string;
  readonly effects: RouterEffects;
  readonly log: (line: string) => void;
}

const NOTHING: RouterConfig = { routes: [], exitNode: false, snat: true, hosted: [] };

/** Which forwarding switches a config needs: a family it routes, or both for an exit node. */
function forwardingNeeded(config: RouterConfig): Record<ForwardingSysctl, boolean> {
  const routes = (family: 4 | 6): boolean =>
    config.exitNode || config.routes.some((route) => route.lan.family === family) || (config.hosted ?? []).some((prefix) => prefix.family === family);
  return { "net.ipv4.ip_forward": routes(4), "net.ipv6.conf.all.forwarding": routes(6) };
}

function summary(config: RouterConfig): string {
  const parts = [`${config.routes.length} route${config.routes.length === 1 ? "" : "s"}`];
  if (config.exitNode) parts.push("exit node");
  if ((config.hosted ?? []).length > 0) parts.push(`${(config.hosted ?? []).length} hosted device address(es)`);
  parts.push(config.snat ? "masquerading into the LAN" : "mesh addresses kept into the LAN");
  return parts.join(", ");
}

export function createSubnetRouter(deps: SubnetRouterDeps): SubnetRouter {
  const { effects, log } = deps;
  const table = routerTableName(deps.meshInterface); // throws now for an unusable name
  // The script of the state the last update fully reached (null: no table), or undefined when
  // unknown — at start, where an earlier run may have left a table, and after a failure.
  let settled: string | null | undefined;
  // The forwarding switches this router turned on, with the value each had before.
  const changed = new Map<ForwardingSysctl, string>();
  let queue: Promise<void> = Promise.resolve();
  let stopped = false;

  const serialised = (change: () => Promise<void>): Promise<void> => {
    const done = queue.then(change);
    queue = done.catch(() => undefined); // a failure is the caller's; the next change still runs
    return done;
  };

  async function setForwarding(name: ForwardingSysctl, needed: boolean): Promise<void> {
    const before = changed.get(name);
    if (needed && before === undefined) {
      const value = await effects.readSysctl(name);
      if (value === null) {
        log(`router: ${name} does not exist (IPv6 disabled?): that family is not forwarded`);
        return;
      }
      if (value !== "0") return; // already on: not ours to turn off later
      await effects.writeSysctl(name, "1");
      changed.set(name, value);
      log(`router: ${name} ${value} → 1`);
    } else if (!needed && before !== undefined) {
      await effects.writeSysctl(name, before);
      changed.delete(name);
      log(`router: ${name} restored to ${before}`);
    }
  }

  // `script` is routerRuleset's for `config`, computed (and checked) by the caller.
  async function reconcile(config: RouterConfig, script: string | null): Promise<void> {
    const needed = forwardingNeeded(config);
    settled = undefined;
    if (script !== null) {
      await effects.applyNftScript(script);
      log(`router: table inet ${table} loaded (${summary(config)})`);
    }
    for (const name of Object.keys(needed) as ForwardingSysctl[]) await setForwarding(name, needed[name]);
    if (script === null) {
      await effects.deleteNftTable(table);
      log(`router: table inet ${table} removed`);
    }
    settled = script;
  }

  return {
    update(config) {
      if (stopped) {
        log("router: update after stop() ignored");
        return Promise.resolve();
      }
      return serialised(async () => {
        if (stopped) return;
        // Built before anything changes, so an invalid config leaves the last state as it was.
        const script: string = routerRuleset(deps.meshInterface, config);
        if (script !== settled) await reconcile(config, script);
      });
    },
    stop() {
      stopped = true;
      // Always carried out, even when nothing seems loaded: an earlier run may have left a table.
      return serialised(() => reconcile(NOTHING, null));
    },
  };
}
