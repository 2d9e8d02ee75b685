// STUN through real NATs (root, the NAT lab of test/interop/nat-lab.ts): a coordinator on a
// public host answers STUN on its two ports (`meshgate coordinator --stun-port 3478`), and the
// prober (src/nat/stun-client.ts, on a node:dgram socket: test/interop/stun-probe.ts) runs in a
// home host behind each kind of NAT:
//   endpoint-independent  the router's WAN address, the local port kept, no variation
//   symmetric             the router's WAN address, a different port per destination
//   UDP blocked           no answer: udp false, both servers timed out

import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { NetcheckReport } from "../../src/nat/netcheck.js";
import type { StunServerResult } from "../../src/nat/stun-client.js";
import { describeNeeding, tool } from "../requirements.js";
import { NatLab, type Home, type PublicHost } from "./nat-lab.js";
import { NAMESPACE_NEEDS, type Namespace } from "./netns.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const PROBE = fileURLToPath(new URL("./stun-probe.js", import.meta.url));
const STUN_PORT = 3478;
const LOCAL_PORT = 41641;
const START_LIMIT_MS = 60_000;

interface Probed {
  readonly report: NetcheckReport;
  readonly servers: readonly StunServerResult[];
}

describeNeeding([...NAMESPACE_NEEDS, tool("nft"), tool("conntrack")], "STUN through the NAT lab", () => {
  let lab: NatLab;
  let coordinatorHost: PublicHost;
  let coordinator: ChildProcess & { output: string[] };
  let stateDir: string;
  let targets: string[];

  before(async () => {
    stateDir = mkdtempSync(join(tmpdir(), "meshgate-stun-nat-"));
    lab = await NatLab.create("t");
    coordinatorHost = await lab.publicHost("c");
    coordinator = lab.adopt(coordinatorHost.ns.spawn(process.execPath, [
      MAIN, "coordinator", "--listen", `${coordinatorHost.address}:8080`, "--stun-port", String(STUN_PORT), "--state-dir", stateDir,
    ]));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the coordinator did not start within ${START_LIMIT_MS} ms:\n${coordinator.output.join("")}`)), START_LIMIT_MS);
      // Ready when it printed that it is up (stdout) and logged its STUN sockets (stderr).
      const check = (): void => {
        const output = coordinator.output.join("");
        if (/coordinator up/.test(output) && /STUN /.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      coordinator.stdout!.on("data", check);
      coordinator.stderr!.on("data", check);
      coordinator.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`the coordinator exited (${code}):\n${coordinator.output.join("")}`));
      });
    });
    targets = [`${coordinatorHost.address}:${STUN_PORT}`, `${coordinatorHost.address}:${STUN_PORT + 1}`];
  });

  after(async () => {
    await lab?.destroy();
    if (stateDir !== undefined) rmSync(stateDir, { recursive: true, force: true });
  });

  const probe = async (from: Namespace, extra: readonly string[] = []): Promise<Probed> => {
    const { stdout } = await from.exec(process.execPath, [PROBE, ...extra, String(LOCAL_PORT), ...targets], 60_000);
    return JSON.parse(stdout) as Probed;
  };

  const mappedOf = (probed: Probed): string[] => probed.servers.map((server) => (server.state === "mapped" ? `${server.mapped.host}:${server.mapped.port}` : server.state));

  test("the coordinator says where it answers STUN", () => {
    assert.match(coordinator.output.join(""), new RegExp(`STUN ${targets.join(" ").replaceAll(".", "\\.")}`));
  });

  test("behind an endpoint-independent NAT: the router's WAN address with the local port kept, the same for both ports", async () => {
    const home: Home = await lab.home({ nat: "endpoint-independent" });
    const probed = await probe(home.host);
    assert.deepEqual(mappedOf(probed), [`${home.wanAddress}:${LOCAL_PORT}`, `${home.wanAddress}:${LOCAL_PORT}`]);
    assert.deepEqual(probed.report, {
      udp: true,
      ipv4: true,
      ipv6: false,
      mappedEndpoint: `${home.wanAddress}:${LOCAL_PORT}`,
      mappingVariesByDestination: false,
      portMapping: null,
      relays: [],
    });
  });

  test("behind a symmetric NAT: the router's WAN address, a different port per destination", async () => {
    const home = await lab.home({ nat: "symmetric" });
    const probed = await probe(home.host);
    const seen = mappedOf(probed);
    assert.ok(seen.every((endpoint) => endpoint.startsWith(`${home.wanAddress}:`)), JSON.stringify(seen));
    assert.notEqual(seen[0], seen[1]);
    assert.equal(probed.report.mappingVariesByDestination, true);
    assert.equal(probed.report.mappedEndpoint, seen[0]);
  });

  test("with outbound UDP blocked: no answer, both servers time out, udp false", async () => {
    const home = await lab.home({ nat: "endpoint-independent", udpBlocked: true });
    const probed = await probe(home.host, ["--timeout-ms", "3000"]);
    assert.deepEqual(mappedOf(probed), ["timeout", "timeout"]);
    assert.equal(probed.report.udp, false);
    assert.equal(probed.report.mappedEndpoint, null);
    assert.equal(probed.report.mappingVariesByDestination, null);
  });
});
