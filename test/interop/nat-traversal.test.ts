// NAT traversal for real (root): meshgate nodes behind home routers with nftables NAT and a
// dropping firewall, a coordinator with STUN and the TCP relay on the lab's internet.
//   - two endpoint-independent NATs: the path becomes direct, and stays there;
//   - two symmetric NATs: traffic flows through the relay, and status says why;
//   - outbound UDP blocked at one home: traffic flows through the TCP relay; unblocked, the
//     path becomes direct within 10 s;
//   - a NAT rebinding mid-flow: a ping stream loses at most a few seconds, the path is direct again;
//   - a peer relay on the internet (--relay-port): two symmetric homes use it, not the TCP relay;
//   - a symmetric NAT whose router grants port mappings: the mapping makes the path direct;
//   - hostile datagrams on a node's port are dropped and counted.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { describeNeeding, tool } from "../requirements.js";
import { NAMESPACE_NEEDS } from "./netns.js";
import { fileURLToPath } from "node:url";
import { eventually, NatMesh, type MeshHost } from "./nat-mesh.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

const DIRECT_WITHIN_MS = 15_000;

async function meshIp(host: MeshHost): Promise<string> {
  return (await host.status()).self!.ipv4;
}

// Pings until one answers (the first packet may wait for a handshake).
async function reach(from: MeshHost, to: MeshHost): Promise<void> {
  const address = await meshIp(to);
  await eventually(`${from.name} → ${to.name}`, 20_000, () => from.ping(address));
}

// Keeps traffic flowing (the path layer probes while data flows) until the path is `kind`.
async function pathBecomes(from: MeshHost, to: MeshHost, kind: "direct" | "relay", limitMs: number): Promise<{ ms: number; relay: string | null; reason: string | null; endpoint: string | null }> {
  const address = await meshIp(to);
  const { value, ms } = await eventually(`${from.name} → ${to.name} ${kind}`, limitMs, async () => {
    await from.ping(address, 1);
    const peer = await from.peer(to.name);
    return peer?.path === kind ? peer : null;
  });
  return { ms, relay: value.relay, reason: value.pathReason, endpoint: value.endpoint };
}

describeNeeding([...NAMESPACE_NEEDS, tool("ping"), tool("nft"), tool("conntrack"), tool("miniupnpd")], "NAT traversal in the NAT lab", () => {
  let mesh: NatMesh;

  before(async () => {
    mesh = await NatMesh.create("t");
  });
  after(async () => mesh?.destroy());

  test("two endpoint-independent NATs: the path becomes direct, through both routers' public addresses", async () => {
    const left = await mesh.home({ nat: "endpoint-independent" });
    const right = await mesh.home({ nat: "endpoint-independent" });
    const a = await mesh.node("easy-a", left.host);
    const b = await mesh.node("easy-b", right.host);
    await reach(a, b);
    const path = await pathBecomes(a, b, "direct", DIRECT_WITHIN_MS);
    assert.match(path.endpoint ?? "", new RegExp(`^${right.wanAddress.replaceAll(".", "\\.")}:`), "b's router's public address");
    await pathBecomes(b, a, "direct", DIRECT_WITHIN_MS);
    // Once direct, nothing more goes through the relay.
    const relayed = (await a.status()).relay!.packetsSent;
    for (let i = 0; i < 10; i++) assert.ok(await a.ping(await meshIp(b), 1));
    assert.equal((await a.status()).relay!.packetsSent, relayed, "no packet through the relay after the direct path is found");
    const netcheck = await a.netcheck();
    assert.equal(netcheck.udp, true);
    assert.equal(netcheck.mappingVariesByDestination, false);

    // The commands, as a user runs them on the node.
    const cli = (...args: string[]) => a.ns.exec(process.execPath, [MAIN, ...args, "--state-dir", a.stateDir]).then((r) => r.stdout);
    const report = JSON.parse(await cli("netcheck", "--json")) as Record<string, unknown>;
    assert.deepEqual(Object.keys(report).sort(), ["ipv4", "ipv6", "mappedEndpoint", "mappingVariesByDestination", "portMapping", "relays", "udp"]);
    assert.match(String(report["mappedEndpoint"]), new RegExp(`^${left.wanAddress.replaceAll(".", "\\.")}:`));
    assert.match(await cli("netcheck"), /UDP/);
    const ping = await cli("ping", "easy-b", "--count", "3");
    assert.equal(ping.split("\n").filter((line) => /^\d+: reply from easy-b \(100\.[0-9.]+\) via direct 11\.0\.0\.\d+:\d+ in [0-9.]+ ms$/.test(line)).length, 3, ping);
  });

  test("two symmetric NATs: traffic flows through the relay, and status says why", async () => {
    const left = await mesh.home({ nat: "symmetric" });
    const right = await mesh.home({ nat: "symmetric" });
    const a = await mesh.node("hard-a", left.host);
    const b = await mesh.node("hard-b", right.host);
    await reach(a, b);
    for (let i = 0; i < 20; i++) assert.ok(await a.ping(await meshIp(b), 2), "the relay carries every ping");
    const peer = (await a.peer("hard-b"))!;
    assert.equal(peer.path, "relay");
    assert.match(peer.relay ?? "", /^tcp http:\/\/11\.0\.0\.2:8080/);
    assert.match(peer.pathReason ?? "", /port per destination/);
    assert.equal((await a.netcheck()).mappingVariesByDestination, true);
  });

  test("UDP blocked at one home: the TCP relay carries the traffic; unblocked, the path is direct within 10 s", async () => {
    const blocked = await mesh.home({ nat: "endpoint-independent", udpBlocked: true });
    const open = await mesh.home({ nat: "endpoint-independent" });
    const a = await mesh.node("tcp-only", blocked.host);
    const b = await mesh.node("udp-ok", open.host);
    await reach(a, b);
    await pathBecomes(a, b, "relay", 10_000);
    assert.equal((await a.netcheck()).udp, false);
    await blocked.setUdpBlocked(false);
    const direct = await pathBecomes(a, b, "direct", 30_000);
    assert.ok(direct.ms <= 10_000 + 5_000, `direct ${direct.ms} ms after unblocking (the next STUN round may take a while to report it)`);
  });

  test("a symmetric NAT whose router grants port mappings (miniupnpd): the mapping makes the path direct", async () => {
    const mapped = await mesh.home({ nat: "symmetric", portMapping: true });
    const hard = await mesh.home({ nat: "symmetric" });
    const a = await mesh.node("pm-a", mapped.host);
    const b = await mesh.node("pm-b", hard.host);
    const { value: report } = await eventually("a port mapping", 30_000, async () => {
      const netcheck = await a.netcheck();
      return netcheck.portMapping?.pcp ? netcheck : null;
    });
    assert.deepEqual(report.portMapping, { upnp: true, natpmp: true, pcp: true }, "the router answered every protocol");
    await reach(b, a);
    const path = await pathBecomes(b, a, "direct", 30_000);
    assert.match(path.endpoint ?? "", new RegExp(`^${mapped.wanAddress.replaceAll(".", "\\.")}:`), `through the mapping on a's router (${path.endpoint})`);
    await pathBecomes(a, b, "direct", 30_000);
  });

  test("a peer relay on the internet (--relay-port): two symmetric homes use it, not the TCP relay", async () => {
    const relayHost = await mesh.lab.publicHost("r");
    const relay = await mesh.node("relay", relayHost.ns, ["--relay-port", "7777"]);
    const left = await mesh.home({ nat: "symmetric" });
    const right = await mesh.home({ nat: "symmetric" });
    const a = await mesh.node("pr-a", left.host);
    const b = await mesh.node("pr-b", right.host);
    await reach(a, b);
    const { value } = await eventually("a UDP relay carries a → b", 30_000, async () => {
      await a.ping(await meshIp(b), 1);
      const peer = await a.peer("pr-b");
      return peer?.relay?.startsWith("udp ") ? peer : null;
    });
    assert.equal(value.relay, `udp ${relayHost.address}:7777 (relay)`);
    for (let i = 0; i < 10; i++) assert.ok(await a.ping(await meshIp(b), 2), "the peer relay carries every ping");
    assert.ok(relay.process.output.join("").includes("relaying UDP for peers on port 7777"));
    // A node that cannot use UDP at all is not sent to the UDP relay: it is not bound there.
    const tcpOnly = await mesh.node("pr-tcp", (await mesh.home({ nat: "endpoint-independent", udpBlocked: true })).host);
    await reach(tcpOnly, a);
    await reach(a, tcpOnly);
    assert.match((await a.peer("pr-tcp"))?.relay ?? "", /^tcp /);
  });

  test("a NAT rebinding mid-flow: a ping stream loses at most a few seconds and the path is direct again", async () => {
    const left = await mesh.home({ nat: "endpoint-independent" });
    const right = await mesh.home({ nat: "endpoint-independent" });
    const a = await mesh.node("rb-a", left.host);
    const b = await mesh.node("rb-b", right.host);
    await reach(a, b);
    const before = await pathBecomes(a, b, "direct", DIRECT_WITHIN_MS);
    const address = await meshIp(b);
    // A ping every 500 ms for 20 s; b's router forgets its mappings 3 s in.
    const results: boolean[] = [];
    const started = Date.now();
    const stream = (async () => {
      for (let tick = 1; Date.now() - started < 20_000; tick++) {
        results.push(await a.ping(address, 1));
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, started + tick * 500 - Date.now())));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await right.rebind();
    await stream;
    // The old path is trusted until 6.5 s after its last pong (heartbeats every 3 s, the timings
    // of Tailscale's magicsock), then the relay carries the packets while the new mapping is
    // found (STUN asked again at once): at most about 8 s of pings are lost.
    const lost = results.filter((answered) => !answered).length;
    assert.ok(lost * 0.5 <= 8, `lost ${lost} of ${results.length} pings (every 500 ms) across the rebinding`);
    assert.ok(results.slice(-6).every(Boolean), `the stream recovered: ${results.map((r) => (r ? "." : "x")).join("")}`);
    const { value } = await eventually("direct again, at b's new public port", 30_000, async () => {
      await a.ping(address, 1);
      const peer = await a.peer("rb-b");
      return peer?.path === "direct" && peer.endpoint !== before.endpoint ? peer : null;
    });
    assert.match(value.endpoint ?? "", new RegExp(`^${right.wanAddress.replaceAll(".", "\\.")}:6[12][0-9]{3}$`), `the new public port (${value.endpoint})`);
  });

  test("garbage, truncated and replayed discovery and relay datagrams, and STUN from strangers: dropped and counted, the node carries on", async () => {
    // On a public address, so the attacker's datagrams reach it (a home router would drop them).
    const target = await mesh.node("target", (await mesh.lab.publicHost("t")).ns);
    const other = await mesh.node("other", (await mesh.lab.publicHost("o")).ns);
    await reach(other, target);
    await pathBecomes(other, target, "direct", DIRECT_WITHIN_MS);
    const endpoint = (await other.peer("target"))!.endpoint!;
    const [host, port] = endpoint.split(":");
    const attacker = await mesh.lab.publicHost("x");
    // disco magic + noise, a truncated disco header, relay magic + noise, a STUN binding request.
    const datagrams = ["6d67d15c01" + "ab".repeat(80), "6d67d15c", "6d679e1a05" + "cd".repeat(40), "000100002112a442" + "00".repeat(12)];
    const { stdout } = await attacker.ns.exec(process.execPath, [
      "-e",
      `const s=require("node:dgram").createSocket("udp4");let n=0;const d=${JSON.stringify(datagrams)};` +
        `const go=()=>{for(const x of d)s.send(Buffer.from(x,"hex"),${Number(port)},"${host}");if(++n<50)setTimeout(go,10);else setTimeout(()=>{s.close();console.log("sent")},200)};go();`,
    ]);
    assert.match(stdout, /sent/);
    const drops = (await target.status()).drops;
    assert.ok(Object.values(drops).reduce((sum, count) => sum + count, 0) >= 50, JSON.stringify(drops));
    assert.ok(await other.ping(await meshIp(target)), "the node still carries traffic");
    assert.equal(target.process.exitCode, null, "and it is still running");
  });
});

