// The NAT lab behaves like the networks it stands for (root): an endpoint-independent NAT keeps
// one public port for every destination, a symmetric one picks a new port per destination, a
// home router drops unsolicited packets, UDP can be blocked and unblocked, and a rebinding
// changes the public port. Every NAT traversal test stands on these facts.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { describeNeeding, tool } from "../requirements.js";
import { NatLab, type Home } from "./nat-lab.js";
import { NAMESPACE_NEEDS, type Namespace } from "./netns.js";

const REFLECTOR = fileURLToPath(new URL("./udp-reflector.js", import.meta.url));
const PROBE = fileURLToPath(new URL("./udp-probe.js", import.meta.url));
const PORT = 3478;

describeNeeding([...NAMESPACE_NEEDS, tool("nft"), tool("conntrack")], "the NAT lab", () => {
  let lab: NatLab;
  let easy: Home;
  let hard: Home;
  const targets: string[] = [];

  before(async () => {
    lab = await NatLab.create("n");
    for (const name of ["c", "s"]) {
      const host = await lab.publicHost(name);
      const reflector = lab.adopt(host.ns.spawn(process.execPath, [REFLECTOR, String(PORT)]));
      await new Promise<void>((resolve) => reflector.stdout!.once("data", () => resolve()));
      targets.push(`${host.address}:${PORT}`);
    }
    easy = await lab.home({ nat: "endpoint-independent" });
    hard = await lab.home({ nat: "symmetric" });
  });
  after(async () => lab?.destroy());

  const probe = async (from: Namespace, localPort: number, to: readonly string[] = targets): Promise<Record<string, string | null>> =>
    JSON.parse((await from.exec(process.execPath, [PROBE, String(localPort), ...to])).stdout) as Record<string, string | null>;

  test("endpoint-independent NAT: one public address and port, the local port kept, for every destination", async () => {
    const seen = await probe(easy.host, 41641);
    assert.deepEqual(Object.values(seen), [`${easy.wanAddress}:41641`, `${easy.wanAddress}:41641`]);
  });

  test("symmetric NAT: a different public port per destination", async () => {
    const seen = Object.values(await probe(hard.host, 41641));
    assert.ok(seen.every((value) => value?.startsWith(`${hard.wanAddress}:`)), JSON.stringify(seen));
    assert.notEqual(seen[0], seen[1]);
  });

  test("the router drops unsolicited packets: a public host cannot reach a home's WAN port nobody opened", async () => {
    const unsolicited = await probe(lab.publicHosts.get("s")!.ns, 5555, [`${easy.wanAddress}:${PORT}`]);
    assert.deepEqual(Object.values(unsolicited), [null]);
  });

  test("outbound UDP can be blocked and unblocked", async () => {
    await easy.setUdpBlocked(true);
    assert.deepEqual(Object.values(await probe(easy.host, 41642)), [null, null]);
    await easy.setUdpBlocked(false);
    assert.ok(Object.values(await probe(easy.host, 41642)).every((value) => value !== null));
  });

  test("a rebinding gives the home a new public port", async () => {
    const before = Object.values(await probe(easy.host, 41643))[0];
    await easy.rebind();
    const after = Object.values(await probe(easy.host, 41643))[0];
    assert.ok(before !== null && after !== null);
    assert.notEqual(after, before);
    assert.ok(after!.startsWith(`${easy.wanAddress}:`));
  });
});
