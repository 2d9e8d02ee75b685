// Subnet routing for real (root): the router module, on its real nft and sysctl adapters, runs
// in the router namespace of test/interop/subnet-router-lab.ts (subnet-router-driver.ts), and
// hosts on both sides show what gets through and with which address:
//   - from the mesh only approved routes are forwarded; the rest is dropped and counted;
//   - with snat the LAN host sees the router's address, without it the mesh address;
//   - a translated route reaches 192.168.1.20 as 10.77.1.20 (and fd01:1::20 as fd77:1::20),
//     the LAN's own addresses are not reachable from the mesh, and the LAN host's connections
//     into the mesh arrive from the translated prefix;
//   - the MSS clamp carries a 4 MB transfer from a LAN host that drops ICMP "fragmentation
//     needed" (a PMTUD black hole) through the 1420-byte tunnel; without it the transfer stalls;
//   - an exit node lets the mesh reach a host beyond the router, masqueraded;
//   - stop() removes meshgate's table, puts the forwarding switches back, and leaves another
//     table in that namespace as it was.

import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { DROPPED_FROM_MESH_COUNTER } from "../../src/router/router-rules.js";
import { describeNeeding, tool } from "../requirements.js";
import { NAMESPACE_NEEDS, type Namespace } from "./netns.js";
import { ADDRESS, MESH_INTERFACE, SubnetRouterLab } from "./subnet-router-lab.js";

const DRIVER = fileURLToPath(new URL("./subnet-router-driver.js", import.meta.url));
const PEER_ADDRESS = fileURLToPath(new URL("./peer-address.js", import.meta.url));
const TCP_TRANSFER = fileURLToPath(new URL("./tcp-transfer.js", import.meta.url));
const TABLE = "meshgate_meshgate0";
const PEER_PORT = 7001;
const ASK_TIMEOUT_MS = 3000;
const TRANSFER_BYTES = 4_000_000;
const TRANSFER_LIMIT_MS = 30_000; // a clamped transfer takes well under a second here
const STALL_WINDOW_MS = 5000; // long enough for dozens of retransmissions; still stalled = black hole

interface RouterConfigText {
  readonly routes: string; // as --advertise-routes writes them
  readonly exitNode?: boolean;
  readonly snat?: boolean;
}

interface DriverAnswer {
  readonly ok: boolean;
  readonly error?: string;
  readonly log: string[];
}

interface Router {
  update(config: RouterConfigText): Promise<DriverAnswer>;
  stop(): Promise<DriverAnswer>;
}

// A TCP server the test started in a namespace (tcp-transfer.js server, peer-address.js serve):
// resolves once it printed "listening".
async function startServer(lab: SubnetRouterLab, ns: Namespace, args: readonly string[]): Promise<ChildProcess & { output: string[] }> {
  const child = lab.adopt(ns.spawn(process.execPath, args));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(" ")} did not start: ${child.output.join("")}`)), 10_000);
    child.stdout!.on("data", () => {
      if (!child.output.join("").includes("listening")) return;
      clearTimeout(timer);
      resolve();
    });
  });
  return child;
}

describeNeeding([...NAMESPACE_NEEDS, tool("nft"), tool("ping")], "subnet router in network namespaces", () => {
  let lab: SubnetRouterLab;
  let otherTable: string;

  before(async () => {
    lab = await SubnetRouterLab.create();
    // Someone else's table in the router's namespace, which meshgate must never touch.
    await nftScript(lab.router, "table ip lab_keep {\n  set blocked { type ipv4_addr; elements = { 203.0.113.9 } }\n  chain forward {\n    type filter hook forward priority 10; policy accept;\n    ip daddr @blocked drop\n  }\n}\n");
    otherTable = (await lab.router.exec("nft", ["list", "table", "ip", "lab_keep"])).stdout;
    for (const ns of [lab.lanHost, lab.remote, lab.beyond]) await startServer(lab, ns, [PEER_ADDRESS, "serve", String(PEER_PORT)]);
  });
  after(async () => lab?.destroy());

  // The router module in the router namespace; `body` runs with it and it is stopped after,
  // even when `body` failed, so no test leaves rules behind for the next.
  const withRouter = async (body: (router: Router) => Promise<void>): Promise<void> => {
    const router = startRouter(lab);
    try {
      await body(router);
    } finally {
      await router.stop().catch(() => undefined);
    }
  };
  const update = async (router: Router, config: RouterConfigText): Promise<void> => {
    const answer = await router.update(config);
    assert.ok(answer.ok, `update ${JSON.stringify(config)} failed: ${answer.error}\n${answer.log.join("\n")}`);
  };

  // What the server on `port` at `host` saw as this connection's source, or null if no answer.
  const peerSeenBy = async (from: Namespace, host: string, port = PEER_PORT): Promise<string | null> => {
    try {
      return (await from.exec(process.execPath, [PEER_ADDRESS, "ask", host, String(port), String(ASK_TIMEOUT_MS)], ASK_TIMEOUT_MS + 10_000)).stdout.trim();
    } catch {
      return null;
    }
  };
  const reaches = async (from: Namespace, address: string): Promise<boolean> => (await from.ping(address, 2, ["-i", "0.2"])).received > 0;
  const droppedFromMesh = async (): Promise<number> => {
    const listing = JSON.parse((await lab.router.exec("nft", ["-j", "list", "counter", "inet", TABLE, DROPPED_FROM_MESH_COUNTER])).stdout) as {
      nftables: { counter?: { packets: number } }[];
    };
    return listing.nftables.find((item) => item.counter !== undefined)!.counter!.packets;
  };
  const sysctl = async (ns: Namespace, path: string): Promise<string> => (await ns.exec("cat", [`/proc/sys/${path}`])).stdout.trim();

  test("from the mesh only approved routes are forwarded; the rest is dropped and counted", { timeout: 60_000 }, async () => {
    await withRouter(async (router) => {
      await update(router, { routes: "10.9.9.0/24" });
      assert.equal(await sysctl(lab.router, "net/ipv4/ip_forward"), "1", "forwarding is on");
      assert.equal(await reaches(lab.remote, ADDRESS.lanHost), false, "192.168.1.0/24 is not approved yet");
      assert.ok((await droppedFromMesh()) >= 2, "the forward drop counted the pings");
      await update(router, { routes: "10.9.9.0/24,192.168.1.0/24" });
      assert.equal(await reaches(lab.remote, ADDRESS.lanHost), true, "approved: the LAN host answers");
      assert.equal(await peerSeenBy(lab.remote, ADDRESS.lanHost), ADDRESS.routerLan, "snat: the LAN host sees the router's address");
    });
  });

  test("snat off: the LAN host sees the mesh address of the remote", { timeout: 60_000 }, async () => {
    await withRouter(async (router) => {
      await update(router, { routes: "192.168.1.0/24", snat: false });
      assert.equal(await peerSeenBy(lab.remote, ADDRESS.lanHost), ADDRESS.remote);
    });
  });

  test("a translated route: 10.77.1.20 is 192.168.1.20 from the mesh, and the LAN appears as 10.77.1.x in it (IPv6 too)", { timeout: 60_000 }, async () => {
    await withRouter(async (router) => {
      await update(router, { routes: "192.168.1.0/24=10.77.1.0/24,fd01:1::/64=fd77:1::/64" });
      assert.equal(await peerSeenBy(lab.remote, "10.77.1.20"), ADDRESS.routerLan, "reached through the translation, and the answer came back");
      assert.equal(await reaches(lab.remote, "10.77.1.20"), true);
      const dropsBefore = await droppedFromMesh();
      assert.equal(await reaches(lab.remote, ADDRESS.lanHost), false, "the LAN's own prefix is ambiguous in the mesh: not approved by the translation");
      assert.ok((await droppedFromMesh()) > dropsBefore);
      assert.equal(await peerSeenBy(lab.lanHost, ADDRESS.remote), "10.77.1.20", "the LAN host's connection arrives from the translated prefix");
      assert.equal(await reaches(lab.remote, "fd77:1::20"), true, "IPv6 through the translation");
      assert.equal(await peerSeenBy(lab.lanHost, ADDRESS.remote6), "fd77:1::20");
      await update(router, { routes: "192.168.1.0/24=10.77.1.0/24", snat: false });
      assert.equal(await peerSeenBy(lab.remote, "10.77.1.20"), ADDRESS.remote, "translated, source kept");
    });
  });

  test("MSS clamp: a 4 MB transfer from a LAN host behind a PMTUD black hole completes; without the clamp it stalls", { timeout: 120_000 }, async () => {
    await nftScript(lab.lanHost, "table inet pmtud_black_hole {\n  counter dropped {}\n  chain input {\n    type filter hook input priority filter; policy accept;\n    icmp type destination-unreachable icmp code frag-needed counter name dropped drop\n  }\n}\n");
    try {
      await withRouter(async (router) => {
        await update(router, { routes: "192.168.1.0/24" });
        const clamped = await transfer(lab, 5001, TRANSFER_LIMIT_MS);
        assert.equal(clamped.outcome, "completed", clamped.output);
        assert.equal(clamped.serverOutput, clamped.output, "the remote received every byte (same hash and length)");

        await lab.router.exec("nft", ["flush", "chain", "inet", TABLE, "mss_clamp"]);
        const unclamped = await transfer(lab, 5002, STALL_WINDOW_MS);
        assert.equal(unclamped.outcome, "stalled", `without the clamp: ${unclamped.output}`);
        const blackHole = (await lab.lanHost.exec("nft", ["list", "counter", "inet", "pmtud_black_hole", "dropped"])).stdout;
        assert.match(blackHole, /packets [1-9]/, "the router did say 'fragmentation needed'; the LAN host never heard it");
      });
    } finally {
      await lab.lanHost.exec("nft", ["delete", "table", "inet", "pmtud_black_hole"]);
    }
  });

  test("an exit node: the remote reaches a host beyond the router, as the router", { timeout: 60_000 }, async () => {
    await withRouter(async (router) => {
      await update(router, { routes: "192.168.1.0/24" });
      assert.equal(await peerSeenBy(lab.remote, ADDRESS.beyond), null, "a subnet router is no exit node");
      await update(router, { routes: "192.168.1.0/24", exitNode: true });
      assert.equal(await peerSeenBy(lab.remote, ADDRESS.beyond), ADDRESS.routerWan);
      assert.equal(await peerSeenBy(lab.remote, ADDRESS.lanHost), ADDRESS.routerLan, "the LAN still, masqueraded");
    });
  });

  test("stop() removes meshgate's table, restores the forwarding switches, and leaves other tables alone", { timeout: 60_000 }, async () => {
    assert.deepEqual([await sysctl(lab.router, "net/ipv4/ip_forward"), await sysctl(lab.router, "net/ipv6/conf/all/forwarding")], ["0", "0"]);
    const router = startRouter(lab);
    await update(router, { routes: "192.168.1.0/24,fd01:1::/64" });
    assert.deepEqual([await sysctl(lab.router, "net/ipv4/ip_forward"), await sysctl(lab.router, "net/ipv6/conf/all/forwarding")], ["1", "1"]);
    assert.equal(await reaches(lab.remote, ADDRESS.lanHost6), true);
    const stopped = await router.stop();
    assert.ok(stopped.ok, stopped.error);
    assert.deepEqual(stopped.log, [
      "router: net.ipv4.ip_forward restored to 0",
      "router: net.ipv6.conf.all.forwarding restored to 0",
      `router: table inet ${TABLE} removed`,
    ]);
    assert.equal((await lab.router.exec("nft", ["list", "tables"])).stdout, "table ip lab_keep\n");
    assert.equal((await lab.router.exec("nft", ["list", "table", "ip", "lab_keep"])).stdout, otherTable, "untouched");
    assert.deepEqual([await sysctl(lab.router, "net/ipv4/ip_forward"), await sysctl(lab.router, "net/ipv6/conf/all/forwarding")], ["0", "0"]);
    assert.equal(await reaches(lab.remote, ADDRESS.lanHost), false, "nothing is forwarded any more");
  });
});

// The router module in the router namespace (subnet-router-driver.ts), one JSON line per
// command and answer.
function startRouter(lab: SubnetRouterLab): Router {
  const child = lab.adopt(spawn("ip", ["netns", "exec", lab.router.name, process.execPath, DRIVER, MESH_INTERFACE], { stdio: ["pipe", "pipe", "pipe"] }));
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const waiting: { resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => waiting.shift()?.resolve(line));
  child.once("exit", (code) => {
    for (const waiter of waiting.splice(0)) waiter.reject(new Error(`the subnet router driver exited (${code}): ${stderr.trim()}`));
  });
  const ask = (command: object): Promise<DriverAnswer> =>
    new Promise<string>((resolve, reject) => {
      waiting.push({ resolve, reject });
      child.stdin!.write(`${JSON.stringify(command)}\n`);
    }).then((line) => JSON.parse(line) as DriverAnswer);
  let stopping: Promise<DriverAnswer> | null = null;
  return {
    update: (config) => ask({ op: "update", routes: config.routes, exitNode: config.exitNode ?? false, snat: config.snat ?? true }),
    // Once: withRouter's `finally` stops a router the test may have stopped already.
    stop: () => (stopping ??= child.exitCode === null ? ask({ op: "stop" }) : Promise.resolve({ ok: true, log: [] })),
  };
}

// `nft -f -` in `ns` with `script` on stdin.
async function nftScript(ns: Namespace, script: string): Promise<void> {
  const child = spawn("ip", ["netns", "exec", ns.name, "nft", "-f", "-"], { stdio: ["pipe", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(script);
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`nft -f in ${ns.name} failed: ${stderr.trim()}`);
}

interface Transfer {
  // completed: the client sent everything and closed; failed: it gave up with an error (say, no
  // connection); stalled: still sending when the time was up.
  readonly outcome: "completed" | "failed" | "stalled";
  readonly output: string; // the client's "<sha256> <bytes>", or its error
  readonly serverOutput: string; // the server's "<sha256> <bytes>" of what it received
}

// TRANSFER_BYTES from the LAN host to a tcp-transfer server on the remote (port `port`),
// given `limitMs`: a client still running then is ended (by its pid), and so is the server.
async function transfer(lab: SubnetRouterLab, port: number, limitMs: number): Promise<Transfer> {
  const server = await startServer(lab, lab.remote, [TCP_TRANSFER, "server", ADDRESS.remote, String(port)]);
  const client = lab.adopt(lab.lanHost.spawn(process.execPath, [TCP_TRANSFER, "client", ADDRESS.remote, String(port), String(TRANSFER_BYTES)]));
  const exited = once(client, "exit").then(([code]): Transfer["outcome"] => (code === 0 ? "completed" : "failed"));
  const outcome = await Promise.race([exited, new Promise<"stalled">((resolve) => setTimeout(() => resolve("stalled"), limitMs).unref())]);
  if (outcome === "stalled") client.kill("SIGKILL");
  // The server prints and exits once the client's data ended; give it a moment, then end it.
  if (outcome === "completed" && server.exitCode === null) {
    await Promise.race([once(server, "exit"), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
  }
  if (server.exitCode === null) server.kill("SIGKILL");
  return { outcome, output: client.output.join("").trim(), serverOutput: server.output.join("").replace("listening\n", "").trim() };
}
