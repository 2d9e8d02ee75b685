// Devices without meshgate (phones, tablets with the stock WireGuard app) hosted by this node:
//   meshgate devices list [--json] [--state-dir DIR]
//   meshgate devices add <name> [--qr] [--state-dir DIR]   prints the device's wg-quick file (once)
//   meshgate devices remove <name> [--state-dir DIR]        revoked everywhere within seconds
// Through the running node's local API (its state directory's node.sock).

import { toString as qrCode } from "qrcode";
import { nodeStatusSocket } from "../daemon/mesh-node.js";
import { requestJson } from "../io/unix-http-client.js";
import type { DeviceView } from "../mesh/node-api-http.js";
import { formatAge, formatBytes } from "../mesh/node-status.js";
import { DEFAULT_NODE_STATE_DIR } from "./mesh.js";
import { parseArguments, UsageError } from "./options.js";
import { formatTable } from "./text-table.js";

export const DEVICES_USAGE = [
  "Usage: meshgate devices list [--json] [--state-dir DIR]",
  "       meshgate devices add <name> [--qr] [--state-dir DIR]",
  "       meshgate devices remove <name> [--state-dir DIR]",
  "",
  "A device without meshgate — a phone or tablet with the stock WireGuard app — reaches the whole",
  "mesh through this node. add prints its wg-quick file (and with --qr a QR code the app scans):",
  "it holds the device's private key, which is kept nowhere else, so it is shown this once.",
].join("\n");

async function call(stateDir: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await requestJson(nodeStatusSocket(stateDir), method, path, body).catch((error: Error) => {
    throw new Error(`meshgate is not running here (${error.message}); start it with meshgate up`);
  });
  if (response.status >= 400) throw new Error(String(response.body["message"] ?? `HTTP ${response.status}`));
  return response.body;
}

export async function runDevices(args: readonly string[], write: (line: string) => void): Promise<number> {
  const [action, ...rest] = args;
  const parsed = parseArguments(rest, { json: "boolean", qr: "boolean", "state-dir": "string" });
  const stateDir = parsed.strings["state-dir"] ?? DEFAULT_NODE_STATE_DIR;
  if (action === "list" && parsed.operands.length === 0) {
    const devices = (await call(stateDir, "GET", "/v1/devices"))["devices"] as DeviceView[];
    if (parsed.flags.has("json")) write(JSON.stringify(devices, null, 2));
    else if (devices.length === 0) write("no devices: add one with meshgate devices add <name>");
    else {
      const now = Date.now();
      write(formatTable(["DEVICE", "MESH IPV4", "MESH IPV6", "HANDSHAKE", "RX", "TX", "ENDPOINT"], devices.map((device) => [
        device.name, device.ipv4, device.ipv6, formatAge(device.lastHandshakeAt, now), formatBytes(device.rxBytes), formatBytes(device.txBytes), device.endpoint ?? "-",
      ])));
    }
    return 0;
  }
  if (action === "add" && parsed.operands.length === 1) {
    const added = (await call(stateDir, "POST", "/v1/devices", { name: parsed.operands[0] })) as { view: DeviceView; config: string; fileName: string };
    write(added.config.trimEnd());
    if (parsed.flags.has("qr")) write(await qrCode(added.config, { type: "terminal", small: true, errorCorrectionLevel: "L" }));
    process.stderr.write(`\n${added.view.name} is ${added.view.ipv4}: import this file (${added.fileName}) in the WireGuard app${parsed.flags.has("qr") ? ", or scan the code" : " (--qr prints a QR code)"}. It is shown once.\n`);
    return 0;
  }
  if (action === "remove" && parsed.operands.length === 1) {
    const devices = (await call(stateDir, "GET", "/v1/devices"))["devices"] as DeviceView[];
    const device = devices.find((candidate) => candidate.name === parsed.operands[0] || candidate.publicKey === parsed.operands[0]);
    if (device === undefined) throw new Error(`this node hosts no device "${parsed.operands[0]}" (see meshgate devices list)`);
    await call(stateDir, "DELETE", `/v1/devices/${encodeURIComponent(device.publicKey)}`);
    write(`removed ${device.name} (${device.ipv4}); the mesh drops it within seconds`);
    return 0;
  }
  throw new UsageError(DEVICES_USAGE);
}
