// `meshgate start` (what `npm start` runs): the appliance with embedded defaults — a coordinator
// and, when run as root, a node of this machine joined to it, so one board is a complete mesh.
// It prints where nodes join and a ready-to-paste join command with a fresh one-off key.

import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { startCoordinator } from "../daemon/coordinator.js";
import { startMeshNode, type RunningMeshNode } from "../daemon/mesh-node.js";
import { requestJson } from "../io/unix-http-client.js";
import { STUN_PORT } from "../nat/stun.js";
import { runUntilSignalled } from "./background.js";
import { parseArguments, parsePort, UsageError } from "./options.js";

const JOIN_KEY_LIFETIME_S = 24 * 3600;

export async function runStart(args: readonly string[], write: (line: string) => void): Promise<number> {
  const parsed = parseArguments(args, { "state-dir": "string", listen: "string" });
  const root = process.getuid?.() === 0;
  const base = resolve(parsed.strings["state-dir"] ?? (root ? "/var/lib/meshgate" : "var/meshgate"));
  const [host, portText] = (parsed.strings["listen"] ?? "0.0.0.0:8080").split(/:(?=[0-9]+$)/);
  if (host === undefined || portText === undefined) throw new UsageError("--listen must be HOST:PORT");
  const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);

  const coordinator = await startCoordinator({ stateDir: join(base, "coordinator"), listenHost: host, listenPort: parsePort(portText, "listen"), stunPort: STUN_PORT, log });
  write(`crypto core       ok (${coordinator.cryptoVariant} build; RFC 8439 self-test passed)`);
  write(`coordinator       ${coordinator.controlUrl}  (key ${coordinator.publicKey})`);
  write(`stun              ${coordinator.stunEndpoints.join("  ") || "off"}  (UDP)`);
  write(`admin             meshgate keys|nodes --state-dir ${join(base, "coordinator")}  (the web admin page is not built yet)`);

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
        log,
      });
      write(`this node         ${node.name}  ${node.ipv4}  ${node.ipv6}  (meshgate status --state-dir ${join(base, "node")})`);
    } catch (error) {
      write(`this node         not joined: ${error instanceof Error ? error.message : String(error)}`);
    }
  } else {
    write("this node         not joined: its WireGuard interface needs root (run `sudo npm start`)");
  }
  write("");
  write("join another machine (key valid 24 h, one node):");
  write(`  meshgate up --coordinator ${coordinator.controlUrl} --auth-key ${await createKey()}`);

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  await runUntilSignalled(join(base, "meshgate.pid"), async () => {
    await node?.stop();
    await coordinator.stop();
    resolveStopped();
  }, stopped);
  return 0;
}
