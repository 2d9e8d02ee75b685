// The interop scenario, run for meshgate ↔ wireguard-go and meshgate ↔ meshgate: two network
// namespaces on a veth pair, a WireGuard interface in each, driven and inspected with `wg`.
// Side `a` is always meshgate.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { describeNeeding, tool } from "../requirements.js";
import { Lab, NAMESPACE_NEEDS } from "./netns.js";
import { connect, startMeshgate, startWireguardGo, type MeshgateSide, type WireGuardSide } from "./wireguard-peers.js";

const TCP_TRANSFER = fileURLToPath(new URL("./tcp-transfer.js", import.meta.url));
const UDP_FLOOD = fileURLToPath(new URL("./udp-flood.js", import.meta.url));
const TRANSFER_BYTES = 50 * 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// `offload` false runs every meshgate of the scenario with MESHGATE_OFFLOAD=off.
export function describeInterop(title: string, otherKind: "meshgate" | "wireguard-go", tag: string, subnet: number, offload = true): void {
  const needs = [...NAMESPACE_NEEDS, tool("ping"), tool("wg"), ...(otherKind === "wireguard-go" ? [tool("wireguard-go")] : [])];
  describeNeeding(needs, title, () => {
    let lab: Lab;
    let a: WireGuardSide;
    let b: WireGuardSide;
    let aUnderlay: string;
    let bUnderlay: string;

    const reconnect = async (): Promise<void> => {
      await a.wgSet(["peer", b.publicKey, "remove"]);
      await b.wgSet(["peer", a.publicKey, "remove"]);
      await connect(a, aUnderlay, b, bUnderlay);
    };

    before(async () => {
      lab = await Lab.create(tag, subnet);
      aUnderlay = lab.underlay4(1);
      bUnderlay = lab.underlay4(2);
      a = await startMeshgate(lab, { ns: lab.left, iface: `${lab.left.name.slice(0, 12)}wg`, port: 51820, host: 1, net: subnet, offload });
      const start = otherKind === "meshgate" ? startMeshgate : startWireguardGo;
      b = await start(lab, { ns: lab.right, iface: `${lab.right.name.slice(0, 12)}wg`, port: 51821, host: 2, net: subnet, offload });
      await connect(a, aUnderlay, b, bUnderlay);
    });

    after(async () => {
      const output = (a as unknown as { output?: string[] } | undefined)?.output;
      if (output !== undefined && !a.alive()) process.stderr.write(`meshgate output:\n${output.join("")}\n`);
      await lab?.destroy();
    });

    test("meshgate initiates: ping over IPv4 and IPv6 both ways", async () => {
      assert.deepEqual(await lab.left.ping(b.tunnel4), { sent: 3, received: 3 });
      assert.deepEqual(await lab.left.ping(b.tunnel6), { sent: 3, received: 3 });
      assert.deepEqual(await lab.right.ping(a.tunnel4), { sent: 3, received: 3 });
      assert.deepEqual(await lab.right.ping(a.tunnel6), { sent: 3, received: 3 });
      const [peer] = await a.peers();
      assert.ok(peer && peer.latestHandshake > Date.now() / 1000 - 60, "a recent handshake");
    });

    test(`${otherKind} initiates after both sides forgot the session`, async () => {
      await reconnect();
      assert.equal((await b.peers())[0]?.latestHandshake, 0, "no session left");
      assert.deepEqual(await lab.right.ping(a.tunnel4), { sent: 3, received: 3 });
      assert.ok(((await a.peers())[0]?.latestHandshake ?? 0) > 0);
    });

    test("a 50 MB TCP transfer arrives intact (sha256 on both ends)", async () => {
      const server = lab.adopt(lab.right.spawn(process.execPath, [TCP_TRANSFER, "server", b.tunnel4, "5201"]));
      for (let i = 0; i < 50 && !server.output.join("").includes("listening"); i++) await sleep(100);
      const client = await lab.left.exec(process.execPath, [TCP_TRANSFER, "client", b.tunnel4, "5201", String(TRANSFER_BYTES)], 120_000);
      await new Promise((resolve) => (server.exitCode === null ? server.once("exit", resolve) : resolve(undefined)));
      const received = server.output.join("").split("\n").find((line) => / \d+$/.test(line));
      assert.equal(received, client.stdout.trim());
      assert.match(received!, new RegExp(` ${TRANSFER_BYTES}$`));
      const said = (a as MeshgateSide).output.join("");
      assert.match(said, offload ? /offloads on/ : /offloads off/, "meshgate says whether its TUN offloads are on");
    });

    test("wg show reports a recent handshake, and transfer counters that move exactly with the other side's", async () => {
      const [[a0], [b0]] = await Promise.all([a.peers(), b.peers()]);
      assert.ok(a0 && b0);
      assert.ok(a0.latestHandshake > Date.now() / 1000 - 180);
      assert.ok(a0.txBytes > TRANSFER_BYTES && a0.rxBytes > 0, `tx ${a0.txBytes}, rx ${a0.rxBytes}`);
      // Counters differ by whatever a congested link dropped, so compare what a lossless
      // exchange adds: both count whole datagrams, so the deltas must be equal.
      assert.deepEqual(await lab.left.ping(b.tunnel4, 5, ["-i", "0.2"]), { sent: 5, received: 5 });
      const [[a1], [b1]] = await Promise.all([a.peers(), b.peers()]);
      assert.equal(a1!.txBytes - a0.txBytes, b1!.rxBytes - b0.rxBytes, "what a sent is what b received");
      assert.equal(a1!.rxBytes - a0.rxBytes, b1!.txBytes - b0.txBytes, "what b sent is what a received");
      assert.ok(a1!.txBytes - a0.txBytes >= 5 * 128, "five pings moved the counters");
    });

    test(`a new handshake forced on the ${otherKind} side: traffic continues`, async () => {
      const before = (await a.peers())[0]!.latestHandshake;
      await sleep(1100); // latest-handshake has one-second resolution
      // b forgets its session in the middle of b → a traffic: its next packet makes it
      // initiate, and meshgate, holding a live session, must take the new one.
      const pinging = lab.right.ping(a.tunnel4, 30, ["-i", "0.2"]);
      await sleep(1500);
      await b.wgSet(["peer", a.publicKey, "remove"]);
      await b.wgSet(["peer", a.publicKey, "allowed-ips", `${a.tunnel4}/32,${a.tunnel6}/128`, "endpoint", `${aUnderlay}:${a.port}`]);
      const result = await pinging;
      assert.ok(result.received >= result.sent - 3, `${result.received}/${result.sent} replies across the rekey`);
      assert.ok((await a.peers())[0]!.latestHandshake > before, "a new handshake happened");
      assert.deepEqual(await lab.left.ping(b.tunnel4), { sent: 3, received: 3 });
    });

    test("roaming: each side follows the other to a new address", async () => {
      // Delete, then add: deleting a subnet's primary address also drops its secondaries.
      const aMoved = lab.underlay4(3);
      await lab.left.exec("ip", ["address", "del", `${aUnderlay}/24`, "dev", lab.leftLink]);
      await lab.left.exec("ip", ["address", "add", `${aMoved}/24`, "dev", lab.leftLink]);
      aUnderlay = aMoved;
      assert.deepEqual(await lab.left.ping(b.tunnel4), { sent: 3, received: 3 });
      assert.equal((await b.peers())[0]?.endpoint, `${aMoved}:${a.port}`, `${otherKind} follows meshgate`);

      // b moves and re-opens its socket on a new port, as a roaming client does (wireguard-go
      // keeps sending from a cached source address until its socket changes).
      const bMoved = lab.underlay4(4);
      const bPort = b.port + 10;
      await lab.right.exec("ip", ["address", "del", `${bUnderlay}/24`, "dev", lab.rightLink]);
      await lab.right.exec("ip", ["address", "add", `${bMoved}/24`, "dev", lab.rightLink]);
      await b.wgSet(["listen-port", String(bPort)]);
      bUnderlay = bMoved;
      assert.deepEqual(await lab.right.ping(a.tunnel4), { sent: 3, received: 3 });
      assert.equal((await a.peers())[0]?.endpoint, `${bMoved}:${bPort}`, `meshgate follows ${otherKind}`);
    });

    test("wg set adds and removes a peer live", async () => {
      const extra = "pV3Hv6Wcq0YfI3NzV2U2DgG1A9mW6TbVn7P6VuI1Nk0=";
      await a.wgSet(["peer", extra, "allowed-ips", `10.${subnet}.0.99/32`, "endpoint", "192.0.2.99:9999", "persistent-keepalive", "25"]);
      const added = (await a.peers()).find((peer) => peer.publicKey === extra);
      assert.equal(added?.allowedIps, `10.${subnet}.0.99/32`);
      assert.equal(added?.endpoint, "192.0.2.99:9999");
      assert.deepEqual(await lab.left.ping(b.tunnel4), { sent: 3, received: 3 }, "the other peer is unaffected");
      await a.wgSet(["peer", extra, "remove"]);
      assert.equal((await a.peers()).some((peer) => peer.publicKey === extra), false);
    });

    test("meshgate survives a flood of garbage datagrams and still passes traffic", async () => {
      const flood = await lab.right.exec(process.execPath, [UDP_FLOOD, aUnderlay, String(a.port), "20000"], 120_000);
      assert.equal(flood.stdout.trim(), "20000");
      assert.ok(a.alive(), "meshgate is still running");
      assert.deepEqual(await lab.left.ping(b.tunnel4), { sent: 3, received: 3 });
      assert.deepEqual(await lab.left.ping(b.tunnel6), { sent: 3, received: 3 });
    });
  });
}
