// Subnet routes and exit nodes on the coordinator, for admins:
//   meshgate routes list [--json] [--state-dir DIR]
//   meshgate routes approve <node> <cidr[,cidr…]|exit-node|--all> [--json] [--state-dir DIR]
//   meshgate routes reject  <node> <cidr[,cidr…]|exit-node|--all> [--json] [--state-dir DIR]
// Through the running coordinator's admin socket (coordinator-admin.ts), which checks what the
// node advertises; the CIDR text is checked here first, so a typo is named before anything is sent.

import type { RouteChanges, RouteSelector, RouteView } from "../mesh/coordinator.js";
import { isExitRoute, parseRoutePrefix, RouteSpecError } from "../net/subnet-route.js";
import { callCoordinatorAdmin, DEFAULT_COORDINATOR_STATE_DIR } from "./coordinator-admin.js";
import { parseArguments, UsageError } from "./options.js";
import { formatTable } from "./text-table.js";

export const ROUTES_USAGE = [
  "Usage: meshgate routes list [--json] [--state-dir DIR]",
  "       meshgate routes approve <node> <cidr[,cidr…]|exit-node|--all> [--json] [--state-dir DIR]",
  "       meshgate routes reject <node> <cidr[,cidr…]|exit-node|--all> [--json] [--state-dir DIR]",
  "",
  "Nodes advertise subnet routes (meshgate up --advertise-routes) and offer to be exit nodes",
  "(--advertise-exit-node); peers use them once approved here (or by the coordinator's",
  "--auto-approve policy). approve takes routes the node advertises; reject unapproves them (they",
  "stay listed while advertised). When several nodes route one subnet, one is primary (peers send",
  "it there) and the others stand by for it. <node> is a name or id (meshgate nodes list).",
].join("\n");

export type RoutesCommand =
  | { readonly action: "list"; readonly json: boolean; readonly stateDir: string }
  | { readonly action: "approve" | "reject"; readonly node: string; readonly selector: RouteSelector; readonly json: boolean; readonly stateDir: string };

const SELECTOR_HELP = "a CIDR prefix (several: comma-separated), exit-node, or --all";

// The route text as typed: "exit-node", or CIDR prefixes — checked for form only (the
// coordinator also knows the mesh's ranges and what the node advertises).
function parseSelector(text: string): RouteSelector {
  if (text === "exit-node") return "exit-node";
  const prefixes = text.split(",").map((part) => part.trim());
  for (const prefix of prefixes) {
    if (isExitRoute(prefix)) continue;
    try {
      parseRoutePrefix(prefix);
    } catch (error) {
      if (error instanceof RouteSpecError) throw new UsageError(error.message);
      throw error;
    }
  }
  return prefixes;
}

export function parseRoutesCommand(args: readonly string[]): RoutesCommand {
  const [action, ...rest] = args;
  const parsed = parseArguments(rest, { json: "boolean", all: "boolean", "state-dir": "string" });
  const json = parsed.flags.has("json");
  const stateDir = parsed.strings["state-dir"] ?? DEFAULT_COORDINATOR_STATE_DIR;
  const all = parsed.flags.has("all");
  if (action === "list") {
    if (parsed.operands.length > 0 || all) throw new UsageError("routes list takes no routes: it lists them all");
    return { action, json, stateDir };
  }
  if (action !== "approve" && action !== "reject") throw new UsageError(ROUTES_USAGE);
  const [node, routes, ...extra] = parsed.operands;
  if (node === undefined) throw new UsageError(`routes ${action} needs a node (name or id) and the routes: ${SELECTOR_HELP}`);
  if (extra.length > 0) throw new UsageError(`routes ${action} takes one list of routes: separate prefixes with commas (e.g. 10.0.0.0/24,10.1.0.0/24)`);
  if (routes !== undefined && all) throw new UsageError("give the routes or --all, not both");
  if (routes === undefined && !all) throw new UsageError(`routes ${action} ${node}: which routes? ${SELECTOR_HELP}`);
  return { action, node, selector: routes === undefined ? "all" : parseSelector(routes), json, stateDir };
}

export function formatRouteTable(routes: readonly RouteView[]): string {
  if (routes.length === 0) return "no routes advertised (nodes advertise them with meshgate up --advertise-routes or --advertise-exit-node)";
  const yesNo = (flag: boolean): string => (flag ? "yes" : "no");
  return formatTable(["NODE", "ROUTE", "ADVERTISED", "APPROVED", "PRIMARY"], routes.map((route) => [
    route.node, isExitRoute(route.prefix) ? `${route.prefix} (exit)` : route.prefix, yesNo(route.advertised), yesNo(route.approved), yesNo(route.primary),
  ]));
}

// What an approval or rejection did, in words, a route per line.
export function describeRouteChanges(action: "approve" | "reject", changes: RouteChanges): string {
  const after = new Map(changes.routes.map((route) => [route.prefix, route]));
  const approvedState = (prefix: string): string => {
    if (isExitRoute(prefix)) return `exit route: peers may choose ${changes.node} as their exit node`;
    return after.get(prefix)?.primary === true ? `primary: peers route it to ${changes.node} now` : "standby: another router is primary; this one takes over if it fails";
  };
  const rejectedState = (prefix: string): string =>
    after.has(prefix) ? `still advertised; peers no longer route it to ${changes.node}` : "no longer advertised: forgotten";
  const lines = changes.changed.map((prefix) => action === "approve"
    ? `approved ${prefix} on ${changes.node} (${approvedState(prefix)})`
    : `rejected ${prefix} on ${changes.node} (${rejectedState(prefix)})`);
  for (const prefix of changes.unchanged) lines.push(`${prefix} on ${changes.node} was ${action === "approve" ? "approved" : "not approved"} already`);
  return lines.length > 0 ? lines.join("\n") : `nothing to ${action}: ${changes.node} has no routes`;
}

export async function runRoutes(args: readonly string[], write: (line: string) => void): Promise<number> {
  const command = parseRoutesCommand(args);
  if (command.action === "list") {
    const routes = (await callCoordinatorAdmin(command.stateDir, "GET", "/v1/routes"))["routes"] as RouteView[];
    write(command.json ? JSON.stringify(routes, null, 2) : formatRouteTable(routes));
    return 0;
  }
  const changes = (await callCoordinatorAdmin(command.stateDir, "POST", `/v1/routes/${command.action}`, { node: command.node, routes: command.selector })) as unknown as RouteChanges;
  write(command.json ? JSON.stringify(changes, null, 2) : describeRouteChanges(command.action, changes));
  return 0;
}
