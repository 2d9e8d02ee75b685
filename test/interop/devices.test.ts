// Devices without meshgate, for real: a "phone" runs Debian's wireguard-go with nothing but the
// wg-quick file `meshgate devices add` printed on the node hosting it (pi), and reaches another
// node (far) by its mesh address through pi; far reaches the phone back; removing the device
// cuts it off everywhere.
//
//   internet (hub, coordinator)   pi 10.S.0.11 ── home LAN: phone 192.168.81.20 (gateway pi .1)
//                                 far 10.S.0.12

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { describeNeeding, tool } from "../requirements.js";
import { NAMESPACE_NEEDS, PREFIX, type Namespace } from "./netns.js";
import { eventually, RouteLab, type RouteNode } from "./route-lab.js";

const SUBNET = 95;

describeNeeding([...NAMESPACE_NEEDS, tool("wireguard-go"), tool("wg"), tool("nft"), tool("ping")], "devices without meshgate: a phone with stock WireGuard reaches the mesh through its host", () => {
  let lab: RouteLab;
  let pi: RouteNode;
  let far: RouteNode;
  let phone: Namespace;
  let phoneAddress: string;
  const phoneInterface = `${PREFIX}ph`;

  before(async () => {
    lab = await RouteLab.create("d", SUBNET, []);
    const piHost = await lab.nodeHost("pi");
    const farHost = await lab.nodeHost("far");
    const lan = await lab.lan("ph", "192.168.81.20/24");
    phone = lan.host;
    await lan.attach(piHost.ns, "192.168.81.1/24");
    await phone.exec("ip", ["route", "add", "default", "via", "192.168.81.1"]);
    pi = await lab.startNode(piHost);
    far = await lab.startNode(farHost);
  });

  after(async () => {
    await lab?.destroy();
  });

  test("the printed config brings a stock WireGuard up, and the phone reaches another node through its host, both ways", async () => {
    const added = await pi.cli(["devices", "add", "Anna's phone"]);
    assert.ok(added.ok, added.text);
    const config = added.text;
    assert.match(config, /^\[Interface\]$/m);
    const address = /^Address = (100\.[0-9.]+)\/32, ([0-9a-f:]+)\/128$/m.exec(config);
    assert.ok(address !== null, config);
    phoneAddress = address[1]!;
    assert.match(config, new RegExp(`^PublicKey = ${(await pi.status()).self!.nodeKey.replace(/[+/]/g, "\\$&")}$`, "m"), "its one peer is the host");
    // What the WireGuard app does with the file: wg's part into the interface, Address and routes by hand.
    const wgPart = config.split("\n").filter((line) => !/^(Address|DNS|#)/.test(line)).join("\n");
    const file = join(tmpdir(), `${PREFIX}-phone.conf`);
    writeFileSync(file, wgPart, { mode: 0o600 });
    lab.adopt(phone.spawn("wireguard-go", ["-f", phoneInterface]));
    await eventually("wireguard-go up", 5000, async () => (await phone.exec("wg", ["show", phoneInterface])).stdout.includes("interface"));
    await phone.exec("wg", ["setconf", phoneInterface, file]);
    await phone.exec("ip", ["address", "add", `${phoneAddress}/32`, "dev", phoneInterface]);
    await phone.exec("ip", ["-6", "address", "add", `${address[2]}/128`, "dev", phoneInterface, "nodad"]);
    await phone.exec("ip", ["link", "set", phoneInterface, "up"]);
    for (const range of /^AllowedIPs = (.+)$/m.exec(config)![1]!.split(", ")) await phone.exec("ip", [range.includes(":") ? "-6" : "-4", "route", "add", range, "dev", phoneInterface]);

    const farMesh = (await far.status()).self!.ipv4;
    await eventually("the phone reaches far", 15_000, async () => (await phone.ping(farMesh, 1, ["-W", "1"])).received === 1);
    assert.equal((await phone.ping((await far.status()).self!.ipv6, 2)).received > 0, true, "over IPv6 too");
    assert.equal((await far.ns.ping(phoneAddress, 2)).received > 0, true, "far reaches the phone");
    const listed = await pi.cli(["devices", "list", "--json"]);
    const devices = JSON.parse(listed.text) as { name: string; ipv4: string; lastHandshakeAt: number | null; endpoint: string | null }[];
    assert.equal(devices.length, 1);
    assert.equal(devices[0]!.name, "Anna's phone");
    assert.ok(devices[0]!.lastHandshakeAt !== null, "a handshake with the phone");
    assert.match(devices[0]!.endpoint ?? "", /^192\.168\.81\.20:\d+$/, "heard from its LAN address");
  });

  test("a bad name is refused with the reason; removing the device cuts it off everywhere", async () => {
    const bad = await pi.cli(["devices", "add", "<script>"]);
    assert.ok(!bad.ok);
    assert.match(bad.text, /letters, digits/);
    const removed = await pi.cli(["devices", "remove", "Anna's phone"]);
    assert.ok(removed.ok, removed.text);
    const farMesh = (await far.status()).self!.ipv4;
    await eventually("the phone cut off", 10_000, async () => (await phone.ping(farMesh, 1, ["-W", "1"])).received === 0);
    await eventually("far no longer routes it", 10_000, async () => (await far.ns.ping(phoneAddress, 1, ["-W", "1"])).received === 0);
    assert.equal((await pi.cli(["devices", "list", "--json"])).text.trim(), "[]");
  });
});
