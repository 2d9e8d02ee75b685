// The node's commands:
//   meshgate up [--coordinator URL] [--auth-key KEY|- | --auth-key-file PATH] [--state-dir DIR]
//               [--interface NAME] [--port N] [--hostname NAME] [--foreground]
//   meshgate down [--state-dir DIR]
//   meshgate status [--state-dir DIR] [--json]

import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { nodeStatusSocket, startMeshNode } from "../daemon/mesh-node.js";
import { requestJson } from "../io/unix-http-client.js";
import { formatNodeStatus, type NodeStatus } from "../mesh/node-status.js";
import { hideSecretArguments, readAuthKey, withoutAuthKeyOptions } from "./auth-key-source.js";
import { runUntilSignalled, startInBackground, stopByPidFile } from "./background.js";
import { parseArguments, parsePort, UsageError } from "./options.js";

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
  "            --foreground",
].join("\n");

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
    "relay-port": "string", foreground: "boolean",
  });
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
    log,
  });
  write(`${node.name} is up as ${node.ipv4} / ${node.ipv6} (pid ${process.pid})`);
  await runUntilSignalled(pidFile(stateDir), node.stop, node.stopped);
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
