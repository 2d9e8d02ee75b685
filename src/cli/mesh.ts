// The node's commands:
//   meshgate up [--coordinator URL] [--auth-key KEY|- | --auth-key-file PATH] [--state-dir DIR]
//               [--interface NAME] [--port N] [--hostname NAME] [--foreground]
//               [routing flags]
//   meshgate set [routing flags] [--state-dir DIR]     (change a running node)
//   meshgate down [--state-dir DIR]
//   meshgate status [--state-dir DIR] [--json]

import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { nodeStatusSocket, startMeshNode } from "../daemon/mesh-node.js";
import { requestJson } from "../io/unix-http-client.js";
import { formatNodeStatus, routingLines, type NodeStatus } from "../mesh/node-status.js";
import { DEFAULT_ROUTING_PREFS, parseAdvertiseRoutesOption, type RoutingPrefsChange } from "../mesh/routing-prefs.js";
import { checkRoutingHost } from "../daemon/mesh-routing.js";
import { RouteSpecError } from "../net/subnet-route.js";
import { hideSecretArguments, readAuthKey, withoutAuthKeyOptions } from "./auth-key-source.js";
import { runUntilSignalled, startInBackground, stopByPidFile } from "./background.js";
import { parseArguments, parsePort, UsageError, type OptionKinds, type ParsedArguments } from "./options.js";
import { startAdminPage } from "./admin-page.js";
import { ADMIN_LISTEN_HELP, adminListenOption, adminPageLines } from "./admin-listen.js";
import { canAdministerNetwork } from "../io/capabilities.js";

export const DEFAULT_NODE_STATE_DIR = "/var/lib/meshgate/node";
const DEFAULT_INTERFACE = "meshgate0";
const DEFAULT_PORT = 41641;

export const MESH_USAGE = [
  "Usage: meshgate up [--coordinator URL] [--auth-key KEY] [options]   join the mesh, or come back to it",
  "       meshgate down [--state-dir DIR]                             leave (the node keeps its identity)",
  "       meshgate status [--state-dir DIR] [--json]                  this node and its peers",
  "",
  "up options: --auth-key KEY, --auth-key - (read from stdin) or --auth-key-file PATH (no key",
  "            on a command line), --state-dir DIR (default /var/lib/meshgate/node),",
  "            --interface NAME (meshgate0), --port N (UDP, 41641), --hostname NAME (this machine's),",
  "            --relay-port N (relay UDP for other nodes on port N: for a node with a public address),",
  "            --foreground,",
  `            ${ADMIN_LISTEN_HELP}`,
  "",
  "routing (up and set; kept across restarts; `meshgate set` changes a running node):",
  "  --advertise-routes CIDR[,CIDR…]   offer these LAN subnets to the mesh (\"\" for none); LAN=MESH",
  "                                    offers a LAN under another prefix, translated 1:1",
  "                                    (192.168.1.0/24=10.77.1.0/24, for homes on the same subnet)",
  "  --advertise-exit-node             offer this node as an exit node to the internet",
  "  --snat-subnet-routes=false        keep mesh source addresses on traffic into the LAN",
  "                                    (default: masquerade as this node, so LAN hosts need no route back)",
  "  --accept-routes=false             do not use other nodes' subnet routes (default: use them,",
  "                                    except a route inside a network this node is on)",
  "  --exit-node NAME|MESH-IP          send all internet traffic through that node (--exit-node= to stop)",
  "  --exit-node-allow-lan-access      with an exit node, keep this node's LAN reachable directly",
  "Routes and exit nodes are live once approved on the coordinator: meshgate routes list|approve.",
].join("\n");

export const SET_USAGE = "Usage: meshgate set [routing flags] [--state-dir DIR]   change a running node's routing\n\n" + MESH_USAGE;

export const ROUTING_OPTIONS: OptionKinds = {
  "advertise-routes": "string", "advertise-exit-node": "toggle", "snat-subnet-routes": "toggle", "accept-routes": "toggle",
  "exit-node": "string", "exit-node-allow-lan-access": "toggle",
};

// The routing flags given, as a change to the node's saved routing prefs. The routes' syntax is
// checked here, so a typo fails before anything starts; the rest is checked by the node.
export function routingChange(parsed: ParsedArguments): RoutingPrefsChange {
  const routes = parsed.strings["advertise-routes"];
  let advertiseRoutes: string[] | undefined;
  try {
    advertiseRoutes = routes === undefined ? undefined : parseAdvertiseRoutesOption(routes);
  } catch (error) {
    if (error instanceof RouteSpecError) throw new UsageError(`--advertise-routes: ${error.message}`);
    throw error;
  }
  const toggle = (name: string): boolean | undefined => parsed.toggles[name];
  const change: Record<string, unknown> = {
    advertiseRoutes,
    advertiseExitNode: toggle("advertise-exit-node"),
    snatSubnetRoutes: toggle("snat-subnet-routes"),
    acceptRoutes: toggle("accept-routes"),
    exitNode: parsed.strings["exit-node"] === undefined ? undefined : parsed.strings["exit-node"] === "" ? null : parsed.strings["exit-node"],
    exitNodeAllowLanAccess: toggle("exit-node-allow-lan-access"),
  };
  return Object.fromEntries(Object.entries(change).filter(([, value]) => value !== undefined)) as RoutingPrefsChange;
}

const pidFile = (stateDir: string): string => join(stateDir, "node.pid");
const logFile = (stateDir: string): string => join(stateDir, "node.log");

async function statusAnswers(stateDir: string): Promise<boolean> {
  try {
    return (await requestJson(nodeStatusSocket(stateDir), "GET", "/v1/status")).status === 200;
  } catch {
    return false;
  }
}

export async function runUp(args: readonly string[], write: (line: string) => void): Promise<number> {
  const parsed = parseArguments(args, {
    coordinator: "string", "auth-key": "string", "auth-key-file": "string", "state-dir": "string", interface: "string", port: "string", hostname: "string",
    "relay-port": "string", foreground: "boolean", "admin-listen": "string", ...ROUTING_OPTIONS,
  });
  const adminListen = adminListenOption(parsed.strings["admin-listen"]);
  const routing = routingChange(parsed);
  try {
    checkRoutingHost({ ...DEFAULT_ROUTING_PREFS, ...routing }, canAdministerNetwork());
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const relayPort = parsed.strings["relay-port"] === undefined ? undefined : parsePort(parsed.strings["relay-port"], "relay-port");
  if (relayPort === 0) throw new UsageError("--relay-port must be a port from 1 to 65535 (other nodes need to know it)");
  if (parsed.operands.length > 0) throw new UsageError(`unexpected operand(s) after the options\n\n${MESH_USAGE}`);
  const stateDir = parsed.strings["state-dir"] ?? DEFAULT_NODE_STATE_DIR;
  const authKey = readAuthKey(parsed, () => readFileSync(0, "utf8"));
  if (!parsed.flags.has("foreground")) {
    if (await statusAnswers(stateDir)) throw new Error(`this node is already up (state ${stateDir}); meshgate down first`);
    // The daemon reads the key from its stdin: it never sits on a long-lived command line.
    const childArgs = ["up", ...withoutAuthKeyOptions(args), ...(authKey === undefined ? [] : ["--auth-key", "-"])];
    const pid = await startInBackground(childArgs, logFile(stateDir), () => statusAnswers(stateDir), authKey);
    const status = (await requestJson(nodeStatusSocket(stateDir), "GET", "/v1/status")).body as unknown as NodeStatus;
    write(`${status.self?.name ?? "this node"} is on the mesh as ${status.self?.ipv4 ?? "?"} (pid ${pid}); log: ${logFile(stateDir)}`);
    for (const line of adminPageLines(adminListen, stateDir, [parsed.strings["interface"] ?? DEFAULT_INTERFACE])) write(line);
    const routing = status.routing === undefined ? [] : routingLines(status.routing, status.self?.name ?? "this-node");
    if (routing.length > 0) write(routing.join("\n"));
    return 0;
  }
  const typed = parsed.strings["auth-key"];
  if (typed !== undefined && typed !== "-") hideSecretArguments("meshgate up --foreground");
  const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const node = await startMeshNode({
    stateDir,
    interfaceName: parsed.strings["interface"] ?? DEFAULT_INTERFACE,
    listenPort: parsePort(parsed.strings["port"] ?? String(DEFAULT_PORT), "port"),
    hostname: parsed.strings["hostname"] ?? hostname(),
    ...(parsed.strings["coordinator"] !== undefined ? { coordinatorUrl: parsed.strings["coordinator"] } : {}),
    ...(authKey !== undefined ? { authKey } : {}),
    ...(relayPort !== undefined ? { relayPort } : {}),
    routing,
    log,
  });
  write(`${node.name} is up as ${node.ipv4} / ${node.ipv6} (pid ${process.pid})`);
  const page = await startAdminPage({ stateDir, listen: adminListen, node, meshInterfaces: [parsed.strings["interface"] ?? DEFAULT_INTERFACE], coordinator: null, log, write,
    // The default port may be taken (another node on this machine): the node runs anyway.
    required: parsed.strings["admin-listen"] !== undefined })
    .catch(async (error: unknown) => {
      await node.stop();
      throw error;
    });
  await runUntilSignalled(pidFile(stateDir), async () => {
    await page?.close();
    await node.stop();
  }, node.stopped);
  return 0;
}

export async function runDown(args: readonly string[], write: (line: string) => void): Promise<number> {
  const parsed = parseArguments(args, { "state-dir": "string" });
  const stateDir = parsed.strings["state-dir"] ?? DEFAULT_NODE_STATE_DIR;
  await stopByPidFile(pidFile(stateDir), "meshgate", () => statusAnswers(stateDir));
  write("meshgate is down (this node keeps its identity; meshgate up brings it back)");
  return 0;
}

export async function runStatus(args: readonly string[], write: (line: string) => void): Promise<number> {
  const parsed = parseArguments(args, { "state-dir": "string", json: "boolean" });
  const stateDir = parsed.strings["state-dir"] ?? DEFAULT_NODE_STATE_DIR;
  const response = await requestJson(nodeStatusSocket(stateDir), "GET", "/v1/status").catch((error: Error) => {
    throw new Error(`meshgate is not running here (${error.message}); start it with meshgate up`);
  });
  const status = response.body as unknown as NodeStatus;
  write(parsed.flags.has("json") ? JSON.stringify(status, null, 2) : formatNodeStatus(status, Date.now()));
  return 0;
}

export async function runSet(args: readonly string[], write: (line: string) => void): Promise<number> {
  const parsed = parseArguments(args, { "state-dir": "string", ...ROUTING_OPTIONS });
  if (parsed.operands.length > 0) throw new UsageError(`unexpected operand(s)\n\n${SET_USAGE}`);
  const change = routingChange(parsed);
  if (Object.keys(change).length === 0) throw new UsageError(`nothing to set\n\n${SET_USAGE}`);
  const stateDir = parsed.strings["state-dir"] ?? DEFAULT_NODE_STATE_DIR;
  const socket = nodeStatusSocket(stateDir);
  const response = await requestJson(socket, "POST", "/v1/prefs", change).catch((error: Error) => {
    throw new Error(`meshgate is not running here (${error.message}); start it with meshgate up`);
  });
  if (response.status >= 400) throw new Error(String(response.body["message"] ?? `HTTP ${response.status}`));
  const status = (await requestJson(socket, "GET", "/v1/status")).body as unknown as NodeStatus;
  const lines = status.routing === undefined ? [] : routingLines(status.routing, status.self?.name ?? "this-node");
  write(lines.length > 0 ? lines.join("\n") : "routing: nothing advertised, no exit node");
  return 0;
}
