// The coordinator and its administration:
//   meshgate coordinator [--listen HOST:PORT] [--stun-port N] [--state-dir DIR] [--advertise-url URL]
//   meshgate keys create [--reusable] [--ephemeral] [--expiry 24h] [--description TEXT] [--user NAME] [--json]
//   meshgate keys list [--json]          meshgate keys revoke <id>
//   meshgate nodes list [--json]         meshgate nodes remove <name|id>     meshgate nodes expire <name|id>
// Admin commands talk to the running coordinator over its admin socket (root only).

import { coordinatorAdminSocket, startCoordinator } from "../daemon/coordinator.js";
import { requestJson } from "../io/unix-http-client.js";
import type { AuthKeyView, NodeView } from "../mesh/coordinator.js";
import { formatAge } from "../mesh/node-status.js";
import { STUN_PORT } from "../nat/stun.js";
import { runUntilSignalled } from "./background.js";
import { parseArguments, parseDuration, parsePort, UsageError } from "./options.js";

export const DEFAULT_COORDINATOR_STATE_DIR = "/var/lib/meshgate/coordinator";
const DEFAULT_LISTEN = "0.0.0.0:8080";

export const COORDINATOR_USAGE = [
  "Usage: meshgate coordinator [--listen HOST:PORT] [--stun-port N] [--state-dir DIR] [--advertise-url URL]",
  "       meshgate keys create [--reusable] [--ephemeral] [--expiry 24h] [--description TEXT] [--user NAME] [--json]",
  "       meshgate keys list [--json] | keys revoke <id>",
  "       meshgate nodes list [--json] | nodes remove <name|id> | nodes expire <name|id>",
  "",
  `--stun-port N: answer STUN on UDP ports N and N+1 of the listen host (default ${STUN_PORT}; 0: no STUN).`,
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

export async function runCoordinator(args: readonly string[], write: (line: string) => void): Promise<number> {
  const parsed = parseArguments(args, { listen: "string", "stun-port": "string", "state-dir": "string", "advertise-url": "string", foreground: "boolean" });
  const stateDir = parsed.strings["state-dir"] ?? DEFAULT_COORDINATOR_STATE_DIR;
  const listen = splitListen(parsed.strings["listen"] ?? DEFAULT_LISTEN);
  const stunPort = parseStunPort(parsed.strings["stun-port"]);
  const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  const coordinator = await startCoordinator({
    stateDir,
    listenHost: listen.host,
    listenPort: listen.port,
    stunPort,
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

async function admin(stateDir: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await requestJson(coordinatorAdminSocket(stateDir), method, path, body).catch((error: Error) => {
    throw new Error(`cannot reach the coordinator's admin socket (${error.message}); is \`meshgate coordinator\` running with --state-dir ${stateDir}?`);
  });
  if (response.status >= 400) throw new Error(String(response.body["message"] ?? `HTTP ${response.status}`));
  return response.body;
}

const when = (ms: number | null): string => (ms === null ? "never" : new Date(ms).toISOString().replace(/\.\d+Z$/, "Z"));

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const render = (cells: readonly string[]): string => cells.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd();
  return [render(header), ...rows.map(render)].join("\n");
}

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
    const created = await admin(stateDir, "POST", "/v1/keys", body);
    const info = (await admin(stateDir, "GET", "/v1/info")) as { controlUrl: string };
    if (parsed.flags.has("json")) write(JSON.stringify({ ...created, join: `meshgate up --coordinator ${info.controlUrl} --auth-key ${String(created["key"])}` }));
    else write(`auth key (shown once): ${String(created["key"])}\n\njoin a node with:\n  meshgate up --coordinator ${info.controlUrl} --auth-key ${String(created["key"])}`);
    return 0;
  }
  if (action === "list") {
    const keys = (await admin(stateDir, "GET", "/v1/keys"))["keys"] as AuthKeyView[];
    if (parsed.flags.has("json")) write(JSON.stringify(keys, null, 2));
    else {
      const kind = (key: AuthKeyView): string => [key.reusable ? "reusable" : "one-off", ...(key.ephemeral ? ["ephemeral"] : [])].join(",");
      const state = (key: AuthKeyView): string => (key.revokedAt !== null ? "revoked" : key.usable ? "usable" : "used up or expired");
      write(table(["ID", "KIND", "USED", "EXPIRES", "STATE", "DESCRIPTION"], keys.map((key) => [key.id, kind(key), String(key.usedCount), when(key.expiresAt), state(key), key.description])));
    }
    return 0;
  }
  if (action === "revoke" && parsed.operands.length === 1) {
    await admin(stateDir, "DELETE", `/v1/keys/${encodeURIComponent(parsed.operands[0]!)}`);
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
    const nodes = (await admin(stateDir, "GET", "/v1/nodes"))["nodes"] as NodeView[];
    if (parsed.flags.has("json")) write(JSON.stringify(nodes, null, 2));
    else {
      const now = Date.now();
      const state = (node: NodeView): string => (node.expired ? "expired" : node.online ? "online" : `offline (seen ${formatAge(node.lastSeenAt, now)})`);
      write(table(["ID", "NAME", "MESH IPV4", "MESH IPV6", "ENDPOINTS", "KEY EXPIRES", "STATE"], nodes.map((node) => [
        String(node.id), node.name, node.ipv4, node.ipv6, node.endpoints.join(" ") || "-", when(node.keyExpiresAt), state(node),
      ])));
    }
    return 0;
  }
  if ((action === "remove" || action === "expire") && parsed.operands.length === 1) {
    const reference = encodeURIComponent(parsed.operands[0]!);
    const result = action === "remove" ? await admin(stateDir, "DELETE", `/v1/nodes/${reference}`) : await admin(stateDir, "POST", `/v1/nodes/${reference}/expire`);
    const node = (result["removed"] ?? result["expired"]) as NodeView;
    write(action === "remove" ? `removed ${node.name} (${node.ipv4}); its peers drop it within seconds` : `expired ${node.name}'s key; it is cut off until renewed`);
    return 0;
  }
  throw new UsageError(COORDINATOR_USAGE);
}
