// The node's diagnosis commands, answered by the running node (its WireGuard socket is where
// STUN and path discovery happen):
//   meshgate netcheck [--state-dir DIR] [--json]
//       UDP works, the public endpoint, whether the NAT maps per destination, port mapping,
//       the relay's round trip.
//   meshgate ping <peer name | mesh IP> [--count N] [--state-dir DIR] [--json]
//       ICMP echo through the mesh (the real data path), one a second, each reply with the path
//       it took and its RTT, until the path is direct (or N replies when --count is given).

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { nodeStatusSocket } from "../daemon/mesh-node.js";
import { requestJson } from "../io/unix-http-client.js";
import type { NodeStatus, PeerView } from "../mesh/node-status.js";
import { formatNetcheckReport, type NetcheckReport } from "../nat/netcheck.js";
import { DEFAULT_NODE_STATE_DIR } from "./mesh.js";
import { parseArguments, UsageError } from "./options.js";

export const DIAGNOSE_USAGE = [
  "Usage: meshgate netcheck [--state-dir DIR] [--json]             what this node's network allows",
  "       meshgate ping <peer> [--count N] [--state-dir DIR] [--json]  ping a peer through the mesh,",
  "                                                                    showing the path each reply took",
  "",
  "ping stops at the first reply over a direct path, or after --count replies (at most 30 tries",
  "without --count). <peer> is a peer's name or mesh address, as `meshgate status` lists them.",
].join("\n");

const PING_TIMEOUT_S = 2;
const MAX_TRIES_WITHOUT_COUNT = 30;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function fromNode(stateDir: string, path: string): Promise<Record<string, unknown>> {
  const response = await requestJson(nodeStatusSocket(stateDir), "GET", path).catch((error: Error) => {
    throw new Error(`meshgate is not running here (${error.message}); start it with meshgate up`);
  });
  if (response.status !== 200) throw new Error(`the node answered ${response.status} for ${path}`);
  return response.body;
}

export async function runNetcheck(args: readonly string[], write: (line: string) => void): Promise<number> {
  const parsed = parseArguments(args, { "state-dir": "string", json: "boolean" });
  if (parsed.operands.length > 0) throw new UsageError(`unexpected ${parsed.operands.length} operand(s)`);
  const report = (await fromNode(parsed.strings["state-dir"] ?? DEFAULT_NODE_STATE_DIR, "/v1/netcheck")) as unknown as NetcheckReport;
  write(parsed.flags.has("json") ? JSON.stringify(report, null, 2) : formatNetcheckReport(report));
  return 0;
}

// One ICMP echo with the system's ping (iputils): its RTT in ms, or null without a reply.
async function pingOnce(address: string): Promise<number | null> {
  try {
    const { stdout } = await promisify(execFile)("ping", [...(address.includes(":") ? ["-6"] : []), "-c", "1", "-W", String(PING_TIMEOUT_S), address]);
    const match = /time[=<]([0-9.]+) ms/.exec(stdout);
    return match === null ? null : Number(match[1]);
  } catch {
    return null;
  }
}

function pathText(peer: PeerView): string {
  if (peer.path === "direct") return `direct ${peer.endpoint ?? ""}`;
  if (peer.path === "relay") return `relay ${peer.relay ?? ""}`;
  return "no path";
}

export async function runPing(args: readonly string[], write: (line: string) => void): Promise<number> {
  const parsed = parseArguments(args, { "state-dir": "string", count: "string", json: "boolean" });
  const [target, ...rest] = parsed.operands;
  if (target === undefined || rest.length > 0) throw new UsageError(DIAGNOSE_USAGE);
  const countText = parsed.strings["count"];
  if (countText !== undefined && !/^[1-9][0-9]{0,3}$/.test(countText)) throw new UsageError("--count must be a number from 1 to 9999");
  const count = countText === undefined ? null : Number(countText);
  const stateDir = parsed.strings["state-dir"] ?? DEFAULT_NODE_STATE_DIR;
  const json = parsed.flags.has("json");
  const status = (await fromNode(stateDir, "/v1/status")) as unknown as NodeStatus;
  const peer = status.peers.find((candidate) => candidate.name === target || candidate.ipv4 === target || candidate.ipv6 === target);
  if (peer === undefined) throw new Error(`no peer "${target}" (meshgate status lists them)`);

  const replies: { seq: number; rttMs: number; path: PeerView["path"]; endpoint: string | null; relay: string | null }[] = [];
  const tries = count ?? MAX_TRIES_WITHOUT_COUNT;
  for (let seq = 1; seq <= tries; seq++) {
    const rttMs = await pingOnce(peer.ipv4);
    const now = ((await fromNode(stateDir, "/v1/status")) as unknown as NodeStatus).peers.find((p) => p.nodeKey === peer.nodeKey) ?? peer;
    if (rttMs === null) {
      if (!json) write(`${seq}: no reply from ${peer.name} (${peer.ipv4}) within ${PING_TIMEOUT_S} s`);
    } else {
      replies.push({ seq, rttMs, path: now.path, endpoint: now.endpoint, relay: now.relay });
      if (!json) write(`${seq}: reply from ${peer.name} (${peer.ipv4}) via ${pathText(now)} in ${rttMs} ms`);
      if (count === null ? now.path === "direct" : replies.length >= count) break;
    }
    if (seq < tries) await sleep(1000);
  }
  const direct = replies.some((reply) => reply.path === "direct");
  if (json) write(JSON.stringify({ peer: peer.name, address: peer.ipv4, replies, direct }, null, 2));
  else if (replies.length === 0) write(`no reply from ${peer.name}`);
  else if (!direct) {
    const last = ((await fromNode(stateDir, "/v1/status")) as unknown as NodeStatus).peers.find((p) => p.nodeKey === peer.nodeKey);
    write(`not direct yet${last?.pathReason ? `: ${last.pathReason}` : ""}`);
  }
  return replies.length > 0 ? 0 : 1;
}
