// `meshgate start` (what `npm start` runs): the appliance with embedded defaults — a coordinator
// and, when run as root (or with CAP_NET_ADMIN), a node of this machine joined to it, so one
// board is a complete mesh. With --coordinator it is a node of another mesh instead: no
// coordinator of its own, the node joins the one named (the Pi image's meshgate.conf).
// It serves the admin page on the LAN (--admin-listen) and prints where nodes join, where the
// page is (with the one-time setup code on first run) and a ready-to-paste join command with a
// fresh one-off key.

import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { startCoordinator } from "../daemon/coordinator.js";
import { startMeshNode, type RunningMeshNode } from "../daemon/mesh-node.js";
import { requestJson } from "../io/unix-http-client.js";
import { STUN_PORT } from "../nat/stun.js";
import { runUntilSignalled } from "./background.js";
import { parseArguments, parsePort, UsageError } from "./options.js";
import { startAdminPage } from "./admin-page.js";
import { ADMIN_LISTEN_HELP, adminListenOption } from "./admin-listen.js";
import type { AdminListen } from "../daemon/admin-page.js";
import { readAuthKey } from "./auth-key-source.js";
import { packageVersion } from "./package-version.js";
import { ROUTING_OPTIONS, routingChange } from "./mesh.js";
import { checkRoutingHost } from "../daemon/mesh-routing.js";
import { routingLines } from "../mesh/node-status.js";
import { DEFAULT_ROUTING_PREFS, type RoutingPrefsChange } from "../mesh/routing-prefs.js";
import { canAdministerNetwork } from "../io/capabilities.js";

const JOIN_KEY_LIFETIME_S = 24 * 3600;

export const START_USAGE = [
  "Usage: meshgate start [--state-dir DIR] [--listen HOST:PORT] [--admin-listen HOST:PORT|lan:PORT|off]",
  "                      [--coordinator URL --auth-key-file FILE] [--ready-file FILE]",
  "",
  "  --state-dir DIR   /var/lib/meshgate as root, ./var/meshgate otherwise",
  "  --listen          the coordinator (default 0.0.0.0:8080)",
  "  --coordinator URL join that mesh instead of running a coordinator here; the auth key from",
  "                    --auth-key-file FILE or --auth-key - (stdin) is used only until this node has joined",
  "  --ready-file FILE written (JSON: version, pid) once the node and the admin page are up, removed",
  "                    at exit: the Raspberry Pi image's update check waits for it",
  `  ${ADMIN_LISTEN_HELP}`,
  "  and the routing flags of meshgate up (--advertise-routes …, --advertise-exit-node, …; meshgate help up)",
].join("\n");

export async function runStart(args: readonly string[], write: (line: string) => void): Promise<number> {
  const parsed = parseArguments(args, {
    "state-dir": "string", listen: "string", "admin-listen": "string", coordinator: "string", "auth-key": "string", "auth-key-file": "string",
    "ready-file": "string", ...ROUTING_OPTIONS,
  });
  const remoteCoordinator = parsed.strings["coordinator"];
  const authKey = readAuthKey(parsed, () => readFileSync(0, "utf8"));
  if (remoteCoordinator === undefined && authKey !== undefined) throw new UsageError("an auth key is for joining another mesh: give --coordinator URL too");
  if (remoteCoordinator !== undefined && parsed.strings["listen"] !== undefined) throw new UsageError("--listen is the coordinator's own address: with --coordinator there is none here");
  if (parsed.strings["auth-key"] !== undefined && parsed.strings["auth-key"] !== "-") throw new UsageError("--auth-key on a command line is visible to every user: use --auth-key-file FILE or --auth-key - (stdin)");
  const routing = routingChange(parsed);
  try {
    checkRoutingHost({ ...DEFAULT_ROUTING_PREFS, ...routing }, canAdministerNetwork());
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const adminListen = adminListenOption(parsed.strings["admin-listen"]);
  const root = canAdministerNetwork();
  const base = resolve(parsed.strings["state-dir"] ?? (root ? "/var/lib/meshgate" : "var/meshgate"));
  const [host, portText] = (parsed.strings["listen"] ?? "0.0.0.0:8080").split(/:(?=[0-9]+$)/);
  if (host === undefined || portText === undefined) throw new UsageError("--listen must be HOST:PORT");
  const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);

  if (remoteCoordinator !== undefined) {
    return runJoined({ base, coordinatorUrl: remoteCoordinator, authKey, routing, adminListen, readyFile: parsed.strings["ready-file"], canRunNode: root, log, write });
  }
  const coordinator = await startCoordinator({ stateDir: join(base, "coordinator"), listenHost: host, listenPort: parsePort(portText, "listen"), stunPort: STUN_PORT, log });
  write(`crypto core       ok (${coordinator.cryptoVariant} build; RFC 8439 self-test passed)`);
  write(`coordinator       ${coordinator.controlUrl}  (key ${coordinator.publicKey})`);
  write(`stun              ${coordinator.stunEndpoints.join("  ") || "off"}  (UDP)`);
  write(`admin             meshgate keys|nodes|routes --state-dir ${join(base, "coordinator")}`);

  const createKey = async (): Promise<string> => {
    const created = await requestJson(coordinator.adminSocket, "POST", "/v1/keys", { expiresInSeconds: JOIN_KEY_LIFETIME_S, description: "printed by meshgate start" });
    return String(created.body["key"]);
  };

  let node: RunningMeshNode | null = null;
  if (root) {
    const port = Number(coordinator.controlUrl.split(":").at(-1));
    try {
      node = await startMeshNode({
        stateDir: join(base, "node"),
        interfaceName: "meshgate0",
        listenPort: 41641,
        hostname: hostname(),
        coordinatorUrl: `http://127.0.0.1:${port}`,
        authKey: await createKey(),
        routing,
        log,
      });
      write(`this node         ${node.name}  ${node.ipv4}  ${node.ipv6}  (meshgate status --state-dir ${join(base, "node")})`);
      const status = node.status();
      if (status.routing !== undefined) for (const line of routingLines(status.routing, node.name)) write(`                  ${line}`);
    } catch (error) {
      write(`this node         not joined: ${error instanceof Error ? error.message : String(error)}`);
    }
  } else {
    write("this node         not joined: its WireGuard interface needs root (run `sudo npm start`)");
  }
  let page: Awaited<ReturnType<typeof startAdminPage>> = null;
  try {
    page = await startAdminPage({
      stateDir: base, listen: adminListen, node, meshInterfaces: node === null ? [] : ["meshgate0"],
      coordinator: { controlUrl: coordinator.controlUrl, admin: coordinator.admin }, log, write, required: true,
    });
  } catch (error) {
    await node?.stop();
    await coordinator.stop();
    throw error;
  }
  write("");
  if (process.env["INVOCATION_ID"] === undefined) {
    write("join another machine (key valid 24 h, one node):");
    write(`  meshgate up --coordinator ${coordinator.controlUrl} --auth-key ${await createKey()}`);
  } else {
    // Under systemd (which sets INVOCATION_ID) this output is the journal: no keys in logs.
    write(`join another machine: a key from the admin page's Mesh page, or meshgate keys create --state-dir ${join(base, "coordinator")}`);
  }

  return serveUntilSignalled(base, parsed.strings["ready-file"], async () => {
    await page?.close();
    await node?.stop();
    await coordinator.stop();
  });
}

interface JoinedOptions {
  readonly base: string;
  readonly coordinatorUrl: string;
  readonly authKey: string | undefined;
  readonly routing: RoutingPrefsChange;
  readonly adminListen: AdminListen;
  readonly readyFile: string | undefined;
  readonly canRunNode: boolean;
  readonly log: (line: string) => void;
  readonly write: (line: string) => void;
}

// A node of another mesh, with this board's admin page. A node that cannot join ends the
// process (systemd starts it again): the page would have nothing to show.
async function runJoined(options: JoinedOptions): Promise<number> {
  const { base, write } = options;
  if (!options.canRunNode) throw new UsageError("joining a mesh needs root (or CAP_NET_ADMIN): the node's WireGuard interface");
  const node = await startMeshNode({
    stateDir: join(base, "node"),
    interfaceName: "meshgate0",
    listenPort: 41641,
    hostname: hostname(),
    coordinatorUrl: options.coordinatorUrl,
    ...(options.authKey === undefined ? {} : { authKey: options.authKey, enrollOnly: true }),
    routing: options.routing,
    log: options.log,
  });
  write(`coordinator       ${options.coordinatorUrl}  (another mesh's)`);
  write(`this node         ${node.name}  ${node.ipv4}  ${node.ipv6}  (meshgate status --state-dir ${join(base, "node")})`);
  const status = node.status();
  if (status.routing !== undefined) for (const line of routingLines(status.routing, node.name)) write(`                  ${line}`);
  let page: Awaited<ReturnType<typeof startAdminPage>> = null;
  try {
    page = await startAdminPage({ stateDir: base, listen: options.adminListen, node, meshInterfaces: ["meshgate0"], coordinator: null, log: options.log, write, required: true });
  } catch (error) {
    await node.stop();
    throw error;
  }
  return serveUntilSignalled(base, options.readyFile, async () => {
    await page?.close();
    await node.stop();
  });
}

// Runs until SIGINT/SIGTERM, with the ready file (if asked for) present while everything is up.
async function serveUntilSignalled(base: string, readyFile: string | undefined, stop: () => Promise<void>): Promise<number> {
  if (readyFile !== undefined) writeReadyFile(readyFile);
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  await runUntilSignalled(join(base, "meshgate.pid"), async () => {
    if (readyFile !== undefined) rmSync(readyFile, { force: true });
    await stop();
    resolveStopped();
  }, stopped);
  return 0;
}

function writeReadyFile(path: string): void {
  const temporary = `${path}.part`;
  writeFileSync(temporary, `${JSON.stringify({ version: packageVersion(), pid: process.pid, at: new Date().toISOString() })}\n`);
  renameSync(temporary, path);
}
