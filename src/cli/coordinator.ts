// The coordinator and its administration:
//   meshgate coordinator [--listen HOST:PORT] [--stun-port N] [--state-dir DIR] [--advertise-url URL]
//                        [--auto-approve CIDR[,CIDR…]] [--auto-approve-exit-nodes]
//   meshgate keys create [--reusable] [--ephemeral] [--expiry 24h] [--description TEXT] [--user NAME] [--json]
//   meshgate keys list [--json]          meshgate keys revoke <id>
//   meshgate nodes list [--json]         meshgate nodes remove <name|id>     meshgate nodes expire <name|id>
// Admin commands talk to the running coordinator over its admin socket (root only); routes are
// administered with `meshgate routes …` (routes.ts).

import { startCoordinator } from "../daemon/coordinator.js";
import { parseAutoApproveRoute } from "../mesh/auto-approve.js";
import type { AuthKeyView, NodeView } from "../mesh/coordinator.js";
import { formatAge } from "../mesh/node-status.js";
import { STUN_PORT } from "../nat/stun.js";
import { RouteSpecError } from "../net/subnet-route.js";
import { runUntilSignalled } from "./background.js";
import { callCoordinatorAdmin, DEFAULT_COORDINATOR_STATE_DIR } from "./coordinator-admin.js";
import { parseArguments, parseDuration, parsePort, UsageError } from "./options.js";
import { formatTable } from "./text-table.js";

const DEFAULT_LISTEN = "0.0.0.0:8080";

export const COORDINATOR_USAGE = [
  "Usage: meshgate coordinator [--listen HOST:PORT] [--stun-port N] [--state-dir DIR] [--advertise-url URL]",
  "                            [--auto-approve CIDR[,CIDR…]] [--auto-approve-exit-nodes]",
  "       meshgate keys create [--reusable] [--ephemeral] [--expiry 24h] [--description TEXT] [--user NAME] [--json]",
  "       meshgate keys list [--json] | keys revoke <id>",
  "       meshgate nodes list [--json] | nodes remove <name|id> | nodes expire <name|id>",
  "       meshgate routes list | routes approve <node> <routes> | routes reject <node> <routes>  (meshgate help routes)",
  "",
  `--stun-port N: answer STUN on UDP ports N and N+1 of the listen host (default ${STUN_PORT}; 0: no STUN).`,
  "--auto-approve CIDR,…: approve the subnet routes nodes advertise inside these prefixes, without an",
  "admin; --auto-approve-exit-nodes: approve nodes that offer to be exit nodes. A policy changed since",
  "the last start also approves the waiting routes it newly covers; it never revokes an approval",
  "(meshgate routes reject does).",
  "Admin commands reach the coordinator through <state-dir>/admin.sock (--state-dir, default",
  "/var/lib/meshgate/coordinator).",
].join("\n");

function splitListen(text: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+):([0-9]+)$/.exec(text);
  if (match === null) throw new UsageError(`--listen must be HOST:PORT (e.g. 0.0.0.0:8080), got "${text}"`);
  return { host: match[1]!.replace(/^\[|\]$/g, ""), port: parsePort(match[2]!, "listen") };
}

// The STUN port: the server also takes the next one, so 65535 cannot be.
export function parseStunPort(text: string | undefined): number {
  const port = text === undefined ? STUN_PORT : parsePort(text, "stun-port");
  if (port === 65535) throw new UsageError("--stun-port N takes ports N and N+1: use at most 65534 (or 0 for no STUN)");
  return port;
}

// --auto-approve: comma-separated subnet prefixes (canonical, not a default route).
export function parseAutoApprove(text: string): string[] {
  const prefixes = text.split(",").map((part) => part.trim());
  for (const prefix of prefixes) {
    try {
      parseAutoApproveRoute(prefix);
    } catch (error) {
      if (error instanceof RouteSpecError) throw new UsageError(`--auto-approve: ${error.message}`);
      throw error;
    }
  }
  return prefixes;
}

export async function runCoordinator(args: readonly string[], write: (line: string) => void): Promise<number> {
  const parsed = parseArguments(args, {
    listen: "string", "stun-port": "string", "state-dir": "string", "advertise-url": "string", foreground: "boolean",
    "auto-approve": "string", "auto-approve-exit-nodes": "boolean",
  });
  const stateDir = parsed.strings["state-dir"] ?? DEFAULT_COORDINATOR_STATE_DIR;
  const listen = splitListen(parsed.strings["listen"] ?? DEFAULT_LISTEN);
  const stunPort = parseStunPort(parsed.strings["stun-port"]);
  const autoApprove = parsed.strings["auto-approve"];
  const settings = {
    autoApproveRoutes: autoApprove === undefined ? [] : parseAutoApprove(autoApprove),
    autoApproveExitNodes: parsed.flags.has("auto-approve-exit-nodes"),
  };
  const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const coordinator = await startCoordinator({
    stateDir,
    listenHost: listen.host,
    listenPort: listen.port,
    stunPort,
    settings,
    ...(parsed.strings["advertise-url"] !== undefined ? { advertiseUrl: parsed.strings["advertise-url"] } : {}),
    log,
  });
  write(`coordinator up: nodes join at ${coordinator.controlUrl}; create a join key with: meshgate keys create --state-dir ${stateDir}`);
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  await runUntilSignalled(`${stateDir}/coordinator.pid`, async () => {
    await coordinator.stop();
    resolveStopped();
  }, stopped);
  return 0;
}

const when = (ms: number | null): string => (ms === null ? "never" : new Date(ms).toISOString().replace(/\.\d+Z$/, "Z"));

export async function runKeys(args: readonly string[], write: (line: string) => void): Promise<number> {
  const [action, ...rest] = args;
  const parsed = parseArguments(rest, { reusable: "boolean", ephemeral: "boolean", expiry: "string", description: "string", user: "string", json: "boolean", "state-dir": "string" });
  const stateDir = parsed.strings["state-dir"] ?? DEFAULT_COORDINATOR_STATE_DIR;
  if (action === "create") {
    const body = {
      reusable: parsed.flags.has("reusable"),
      ephemeral: parsed.flags.has("ephemeral"),
      ...(parsed.strings["expiry"] !== undefined ? { expiresInSeconds: parseDuration(parsed.strings["expiry"]) / 1000 } : {}),
      ...(parsed.strings["description"] !== undefined ? { description: parsed.strings["description"] } : {}),
      ...(parsed.strings["user"] !== undefined ? { user: parsed.strings["user"] } : {}),
    };
    const created = await callCoordinatorAdmin(stateDir, "POST", "/v1/keys", body);
    const info = (await callCoordinatorAdmin(stateDir, "GET", "/v1/info")) as { controlUrl: string };
    if (parsed.flags.has("json")) write(JSON.stringify({ ...created, join: `meshgate up --coordinator ${info.controlUrl} --auth-key ${String(created["key"])}` }));
    else write(`auth key (shown once): ${String(created["key"])}\n\njoin a node with:\n  meshgate up --coordinator ${info.controlUrl} --auth-key ${String(created["key"])}`);
    return 0;
  }
  if (action === "list") {
    const keys = (await callCoordinatorAdmin(stateDir, "GET", "/v1/keys"))["keys"] as AuthKeyView[];
    if (parsed.flags.has("json")) write(JSON.stringify(keys, null, 2));
    else {
      const kind = (key: AuthKeyView): string => [key.reusable ? "reusable" : "one-off", ...(key.ephemeral ? ["ephemeral"] : [])].join(",");
      const state = (key: AuthKeyView): string => (key.revokedAt !== null ? "revoked" : key.usable ? "usable" : "used up or expired");
      write(formatTable(["ID", "KIND", "USED", "EXPIRES", "STATE", "DESCRIPTION"], keys.map((key) => [key.id, kind(key), String(key.usedCount), when(key.expiresAt), state(key), key.description])));
    }
    return 0;
  }
  if (action === "revoke" && parsed.operands.length === 1) {
    await callCoordinatorAdmin(stateDir, "DELETE", `/v1/keys/${encodeURIComponent(parsed.operands[0]!)}`);
    write(`revoked ${parsed.operands[0]}`);
    return 0;
  }
  throw new UsageError(COORDINATOR_USAGE);
}

export async function runNodes(args: readonly string[], write: (line: string) => void): Promise<number> {
  const [action, ...rest] = args;
  const parsed = parseArguments(rest, { json: "boolean", "state-dir": "string" });
  const stateDir = parsed.strings["state-dir"] ?? DEFAULT_COORDINATOR_STATE_DIR;
  if (action === "list") {
    const nodes = (await callCoordinatorAdmin(stateDir, "GET", "/v1/nodes"))["nodes"] as NodeView[];
    if (parsed.flags.has("json")) write(JSON.stringify(nodes, null, 2));
    else {
      const now = Date.now();
      const state = (node: NodeView): string => (node.expired ? "expired" : node.online ? "online" : `offline (seen ${formatAge(node.lastSeenAt, now)})`);
      write(formatTable(["ID", "NAME", "MESH IPV4", "MESH IPV6", "ENDPOINTS", "KEY EXPIRES", "STATE"], nodes.map((node) => [
        String(node.id), node.name, node.ipv4, node.ipv6, node.endpoints.join(" ") || "-", when(node.keyExpiresAt), state(node),
      ])));
    }
    return 0;
  }
  if ((action === "remove" || action === "expire") && parsed.operands.length === 1) {
    const reference = encodeURIComponent(parsed.operands[0]!);
    const result = action === "remove" ? await callCoordinatorAdmin(stateDir, "DELETE", `/v1/nodes/${reference}`) : await callCoordinatorAdmin(stateDir, "POST", `/v1/nodes/${reference}/expire`);
    const node = (result["removed"] ?? result["expired"]) as NodeView;
    write(action === "remove" ? `removed ${node.name} (${node.ipv4}); its peers drop it within seconds` : `expired ${node.name}'s key; it is cut off until renewed`);
    return 0;
  }
  throw new UsageError(COORDINATOR_USAGE);
}
