// A mesh on the NAT lab (test/interop/nat-lab.ts): a coordinator on public host "c" (control
// on :8080, STUN on :3478/:3479, the TCP relay), and meshgate nodes started in the lab's hosts —
// behind home routers or on public addresses — joined with one reusable auth key. Every
// process is adopted by the lab, so destroy() ends it.

import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { requestJson } from "../../src/io/unix-http-client.js";
import type { NetcheckReport } from "../../src/nat/netcheck.js";
import type { NodeStatus, PeerView } from "../../src/mesh/node-status.js";
import { NatLab, type Home, type HomeOptions, type PublicHost } from "./nat-lab.js";
import { PREFIX, type Namespace } from "./netns.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
export const CONTROL_PORT = 8080;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface MeshHost {
  readonly name: string;
  readonly ns: Namespace;
  readonly stateDir: string;
  readonly process: ChildProcess & { output: string[] };
  status(): Promise<NodeStatus>;
  netcheck(): Promise<NetcheckReport>;
  peer(name: string): Promise<PeerView | undefined>;
  // One ping to a mesh address: answered?
  ping(address: string, timeoutS?: number): Promise<boolean>;
}

export async function eventually<T>(what: string, limitMs: number, probe: () => Promise<T | null | undefined | false>): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  let last: unknown = null;
  for (;;) {
    try {
      const value = await probe();
      if (value !== null && value !== undefined && value !== false) return { value, ms: Date.now() - started };
    } catch (error) {
      last = error;
    }
    if (Date.now() - started > limitMs) throw new Error(`${what} did not happen within ${limitMs} ms${last ? ` (last error: ${String(last)})` : ""}`);
    await sleep(200);
  }
}

export class NatMesh {
  readonly stateRoot = mkdtempSync(join(tmpdir(), "meshgate-nat-"));
  coordinator!: PublicHost;
  private authKey = "";
  private count = 0;

  private constructor(readonly lab: NatLab) {}

  static async create(tag: string): Promise<NatMesh> {
    const mesh = new NatMesh(await NatLab.create(tag));
    try {
      mesh.coordinator = await mesh.lab.publicHost("c");
      const state = join(mesh.stateRoot, "coordinator");
      const child = mesh.lab.adopt(mesh.coordinator.ns.spawn(process.execPath, [MAIN, "coordinator", "--listen", `${mesh.coordinator.address}:${CONTROL_PORT}`, "--stun-port", "3478", "--state-dir", state]));
      const admin = join(state, "admin.sock");
      await eventually("the coordinator answering", 20_000, async () => {
        if (child.exitCode !== null) throw new Error(child.output.join(""));
        return (await requestJson(admin, "GET", "/v1/info")).status === 200;
      });
      const created = await requestJson(admin, "POST", "/v1/keys", { reusable: true, description: "nat test" });
      mesh.authKey = String(created.body["key"]);
    } catch (error) {
      await mesh.destroy();
      throw error;
    }
    return mesh;
  }

  get url(): string {
    return `http://${this.coordinator.address}:${CONTROL_PORT}`;
  }

  async home(options: HomeOptions): Promise<Home> {
    return this.lab.home(options);
  }

  // A meshgate node in `ns` (a home's host, or a public host), up and joined.
  async node(name: string, ns: Namespace, extra: readonly string[] = []): Promise<MeshHost> {
    const index = ++this.count;
    const stateDir = join(this.stateRoot, name);
    const child = this.lab.adopt(
      ns.spawn(process.execPath, [
        MAIN, "up", "--foreground", "--coordinator", this.url, "--auth-key", this.authKey, "--state-dir", stateDir,
        "--interface", `${PREFIX}n${index}`, "--hostname", name, ...extra,
      ]),
    );
    const socket = join(stateDir, "node.sock");
    const host: MeshHost = {
      name,
      ns,
      stateDir,
      process: child,
      status: async () => (await requestJson(socket, "GET", "/v1/status")).body as unknown as NodeStatus,
      netcheck: async () => (await requestJson(socket, "GET", "/v1/netcheck")).body as unknown as NetcheckReport,
      peer: async (peerName) => (await host.status()).peers.find((peer) => peer.name === peerName),
      async ping(address, timeoutS = 1) {
        return (await ns.ping(address, 1, ["-W", String(timeoutS)])).received === 1;
      },
    };
    await eventually(`${name} up`, 30_000, async () => {
      if (child.exitCode !== null) throw new Error(child.output.join(""));
      return (await host.status()).self !== null;
    }).catch((error: Error) => {
      throw new Error(`${error.message}\n${child.output.join("")}`);
    });
    return host;
  }

  async destroy(): Promise<void> {
    await this.lab.destroy();
    rmSync(this.stateRoot, { recursive: true, force: true });
  }
}
