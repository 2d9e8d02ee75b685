// `meshgate start` (what `npm start` runs): the appliance with embedded defaults — a coordinator
// and, when run as root, a node of this machine joined to it, so one board is a complete mesh.
// It serves the admin page on the LAN (--admin-listen) and prints where nodes join, where the
// page is (with the one-time setup code on first run) and a ready-to-paste join command with a
// fresh one-off key.

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
import { ROUTING_OPTIONS, routingChange } from "./mesh.js";
import { checkRoutingHost } from "../daemon/mesh-routing.js";
import { routingLines } from "../mesh/node-status.js";
import { DEFAULT_ROUTING_PREFS } from "../mesh/routing-prefs.js";

const JOIN_KEY_LIFETIME_S = 24 * 3600;

export const START_USAGE = [
  "Usage: meshgate start [--state-dir DIR] [--listen HOST:PORT] [--admin-listen HOST:PORT|lan:PORT|off]",
  "",
  "  --state-dir DIR   /var/lib/meshgate as root, ./var/meshgate otherwise",
  "  --listen          the coordinator (default 0.0.0.0:8080)",
  `  ${ADMIN_LISTEN_HELP}`,
  "  and the routing flags of meshgate up (--advertise-routes …, --advertise-exit-node, …; meshgate help up)",
].join("\n");

export async function runStart(args: readonly string[], write: (line: string) => void): Promise<number> {
  const parsed = parseArguments(args, { "state-dir": "string", listen: "string", "admin-listen": "string", ...ROUTING_OPTIONS });
  const routing = routingChange(parsed);
  try {
    checkRoutingHost({ ...DEFAULT_ROUTING_PREFS, ...routing }, process.getuid?.() === 0);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const adminListen = adminListenOption(parsed.strings["admin-listen"]);
  const root = process.getuid?.() === 0;
  const base = resolve(parsed.strings["state-dir"] ?? (root ? "/var/lib/meshgate" : "var/meshgate"));
  const [host, portText] = (parsed.strings["listen"] ?? "0.0.0.0:8080").split(/:(?=[0-9]+$)/);
  if (host === undefined || portText === undefined) throw new UsageError("--listen must be HOST:PORT");
  const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);

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
  write("join another machine (key valid 24 h, one node):");
  write(`  meshgate up --coordinator ${coordinator.controlUrl} --auth-key ${await createKey()}`);

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  await runUntilSignalled(join(base, "meshgate.pid"), async () => {
    await page?.close();
    await node?.stop();
    await coordinator.stop();
    resolveStopped();
  }, stopped);
  return 0;
}
