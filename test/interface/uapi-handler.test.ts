// The UAPI handler (src/interface/uapi-handler.ts) answering what `wg` sends over the socket —
// get=1 and set=1 blocks, as wireguard-tools' ipc-uapi.h writes them — for a device run by the
// real packet loop on the in-memory TUN and UDP: configuration reaches the device and the
// loop, a new listen port or fwmark means new sockets, and refusals carry the errno wg prints.

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { createUapiHandler, type InterfaceSettings } from "../../src/interface/uapi-handler.js";
import { UAPI_EADDRINUSE, UAPI_EINVAL, UAPI_EPROTO } from "../../src/wireguard/uapi.js";
import { messageType } from "../../src/wireguard/messages.js";
import { ipv4Packet } from "../fakes/ip-packets.js";
import { WALL_CLOCK_BASE_MS } from "../wireguard/device-pair.js";
import { LoopMesh, udpOf, type LoopNode } from "./loop-mesh.js";

let mesh: LoopMesh;
afterEach(() => mesh.stop());

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

interface Wg {
  // Sends one request block (lines without the blank line that ends it); returns the answer.
  (request: string): Promise<string>;
  readonly settings: InterfaceSettings;
  readonly log: string[];
}

// The handler for `node`, as src/daemon/interface.ts composes it, with UDP from the fakes.
function wgFor(node: LoopNode): Wg {
  const settings: InterfaceSettings = { listenPort: udpOf(node).port, fwmark: 0 };
  const log: string[] = [];
  const handle = createUapiHandler({
    device: node.device,
    loop: node.loop,
    settings,
    now: mesh.clock.now,
    openUdp: (port, fwmark) => mesh.openUdp(node, port, fwmark),
    log: (line) => log.push(line),
  });
  return Object.assign(async (request: string) => handle(request.split("\n")), { settings, log });
}

// get=1's answer as key/value pairs; checks it ends the way wg expects.
function parseGet(answer: string): [string, string][] {
  assert.ok(answer.endsWith("errno=0\n\n"), answer);
  return answer
    .slice(0, -"errno=0\n\n".length)
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]);
}
const values = (pairs: [string, string][], key: string): string[] => pairs.filter(([k]) => k === key).map(([, v]) => v);

test("get=1 describes the running device as wg reads it: key, port, each peer with endpoint, handshake, counters, AllowedIPs", async () => {
  mesh = new LoopMesh(11);
  const [a, b] = mesh.pair();
  mesh.clock.runUntil(1500);
  a.tun.inject(ipv4Packet(a.address4, b.address4, new Uint8Array(100)));
  await mesh.settle();
  const pairs = parseGet(await wgFor(a)("get=1"));
  assert.deepEqual(pairs.slice(0, 3), [
    ["private_key", hex(a.device.privateKey!)],
    ["listen_port", "51820"],
    ["public_key", hex(b.publicKey)],
  ]);
  assert.deepEqual(values(pairs, "endpoint"), ["192.0.2.2:51820"]);
  assert.deepEqual(values(pairs, "allowed_ip"), ["10.0.0.2/32", "fd00::2/128"]);
  const handshakeMs = WALL_CLOCK_BASE_MS + 1500;
  assert.deepEqual(values(pairs, "last_handshake_time_sec"), [String(Math.floor(handshakeMs / 1000))]);
  assert.deepEqual(values(pairs, "last_handshake_time_nsec"), [String((handshakeMs % 1000) * 1_000_000)]);
  assert.ok(Number(values(pairs, "tx_bytes")[0]) > 100 && Number(values(pairs, "rx_bytes")[0]) > 0, pairs.join(" "));
});

test("set=1 adds a peer; its persistent keepalive goes out through the loop at once and opens a session", async () => {
  mesh = new LoopMesh(12);
  const a = mesh.addNode("a", 1);
  const c = mesh.addNode("c", 3);
  mesh.introduce(c, a);
  const wg = wgFor(a);
  const answer = await wg(
    ["set=1", `public_key=${hex(c.publicKey)}`, "endpoint=192.0.2.3:51820", "persistent_keepalive_interval=25", "replace_allowed_ips=true", "allowed_ip=10.0.0.3/32"].join("\n"),
  );
  assert.equal(answer, "errno=0\n\n");
  assert.equal(messageType(mesh.network.log[0]!.bytes), 1, "the keepalive needs a session: an initiation, sent by the loop");
  await mesh.settle();
  const [peer] = a.device.peers();
  assert.equal(peer?.hasSession, true);
  assert.equal(peer?.persistentKeepaliveSeconds, 25);
  const packet = ipv4Packet(a.address4, c.address4, new Uint8Array(8));
  a.tun.inject(packet);
  await mesh.settle();
  assert.deepEqual(c.tun.written, [packet], "the new peer is routed by its AllowedIPs");
});

test("listen_port: new sockets replace the old ones, the old port is free again, traffic moves to the new one", async () => {
  mesh = new LoopMesh(13);
  const [a, b] = mesh.pair();
  const wg = wgFor(a);
  const old = udpOf(a);
  assert.equal(await wg("set=1\nlisten_port=51999"), "errno=0\n\n");
  assert.equal(old.closed, true);
  assert.equal(udpOf(a).port, 51999);
  assert.deepEqual(values(parseGet(await wg("get=1")), "listen_port"), ["51999"]);
  assert.equal(a.host.openUdp(51820).port, 51820, "the old port was released");

  const packet = ipv4Packet(a.address4, b.address4, new Uint8Array(8));
  a.tun.inject(packet);
  await mesh.settle();
  assert.deepEqual(b.tun.written, [packet]);
  assert.equal(b.device.peers()[0]!.endpoint?.port, 51999);
  const reply = ipv4Packet(b.address4, a.address4, new Uint8Array(9));
  b.tun.inject(reply);
  await mesh.settle();
  assert.deepEqual(a.tun.written, [reply], "the loop reads the new sockets");

  assert.equal(await wg("set=1\nlisten_port=51999"), "errno=0\n\n");
  assert.equal(udpOf(a).closed, false, "the same port again changes nothing");
});

test("fwmark alone is set on the open sockets: the port is kept, nothing is reopened", async () => {
  mesh = new LoopMesh(16);
  const a = mesh.addNode("a", 1);
  const wg = wgFor(a);
  const port = udpOf(a).port;
  assert.equal(await wg("set=1\nfwmark=51820"), "errno=0\n\n");
  assert.equal(a.opened.length, 1, "no new sockets");
  assert.deepEqual([udpOf(a).closed, udpOf(a).port, udpOf(a).fwmark], [false, port, 51820]);
  assert.deepEqual(values(parseGet(await wg("get=1")), "fwmark"), ["51820"]);
  assert.equal(await wg("set=1\nfwmark=0"), "errno=0\n\n");
  assert.equal(udpOf(a).fwmark, 0, "0 clears it");
});

test("fwmark with a listen port: the sockets are reopened there with the mark", async () => {
  mesh = new LoopMesh(14);
  const a = mesh.addNode("a", 1);
  const wg = wgFor(a);
  assert.equal(await wg("set=1\nlisten_port=51821\nfwmark=51820"), "errno=0\n\n");
  assert.equal(a.opened[0]!.closed, true);
  assert.deepEqual([udpOf(a).port, udpOf(a).fwmark], [51821, 51820]);
  const pairs = parseGet(await wg("get=1"));
  assert.deepEqual([values(pairs, "listen_port"), values(pairs, "fwmark")], [["51821"], ["51820"]]);
});

test("a listen port in use: errno=98 (EADDRINUSE) as wg expects, and the interface keeps its sockets", async () => {
  mesh = new LoopMesh(15);
  const a = mesh.addNode("a", 1);
  const wg = wgFor(a);
  const other = a.host.openUdp(52000); // another program holds it
  assert.equal(await wg("set=1\nlisten_port=52000"), `errno=${UAPI_EADDRINUSE}\n\n`);
  assert.equal(udpOf(a).closed, false);
  assert.equal(wg.settings.listenPort, 51820);
  assert.deepEqual(values(parseGet(await wg("get=1")), "listen_port"), ["51820"]);
  assert.match(wg.log.join("\n"), /uapi set refused: cannot listen on port 52000/);
  other.close();
});

test("refusals carry the errno wg prints, and change nothing", async () => {
  mesh = new LoopMesh(16);
  const [a, b] = mesh.pair();
  const wg = wgFor(a);
  const before = await wg("get=1");
  const cases: [request: string, errno: number][] = [
    ["set=1\nlisten_port=70000", UAPI_EINVAL],
    ["set=1\nbogus=1", UAPI_EINVAL],
    [`set=1\npublic_key=${hex(b.publicKey)}\nendpoint=example.com:51820`, UAPI_EINVAL],
    [`set=1\npublic_key=${hex(b.publicKey)}\nremove=true\nallowed_ip=10.0.0.0/33`, UAPI_EINVAL],
    ["set=1\nno equals sign", UAPI_EPROTO],
    ["get=2", UAPI_EPROTO],
    ["get=1\nlisten_port=1", UAPI_EPROTO],
  ];
  for (const [request, errno] of cases) assert.equal(await wg(request), `errno=${errno}\n\n`, request.replaceAll("\n", " / "));
  assert.equal(await wg("get=1"), before);
  assert.equal(wg.log.length, 5, "each refused set is logged with its reason");
});

test("replace_peers, remove and update_only shape the peer list as wg set does", async () => {
  mesh = new LoopMesh(17);
  const [a, b] = mesh.pair();
  const c = mesh.addNode("c", 3);
  const d = mesh.addNode("d", 4);
  const wg = wgFor(a);
  const peerKeys = (): string[] => a.device.peers().map((peer) => hex(peer.publicKey)).sort();
  assert.equal(await wg(`set=1\npublic_key=${hex(c.publicKey)}\nupdate_only=true\nallowed_ip=10.0.0.3/32`), "errno=0\n\n");
  assert.deepEqual(peerKeys(), [hex(b.publicKey)], "update_only does not add");
  assert.equal(await wg(`set=1\nreplace_peers=true\npublic_key=${hex(c.publicKey)}\nallowed_ip=10.0.0.3/32\npublic_key=${hex(d.publicKey)}`), "errno=0\n\n");
  assert.deepEqual(peerKeys(), [hex(c.publicKey), hex(d.publicKey)].sort(), "replace_peers: only those listed");
  assert.equal(await wg(`set=1\npublic_key=${hex(d.publicKey)}\nremove=true`), "errno=0\n\n");
  assert.deepEqual(peerKeys(), [hex(c.publicKey)]);
});

test("private_key: get=1 shows the new key; all zeros removes it", async () => {
  mesh = new LoopMesh(18);
  const a = mesh.addNode("a", 1);
  const wg = wgFor(a);
  const key = "4".repeat(63) + "8";
  assert.equal(await wg(`set=1\nprivate_key=${key}`), "errno=0\n\n");
  assert.deepEqual(values(parseGet(await wg("get=1")), "private_key"), [key]);
  assert.equal(await wg(`set=1\nprivate_key=${"0".repeat(64)}`), "errno=0\n\n");
  assert.deepEqual(values(parseGet(await wg("get=1")), "private_key"), []);
});
