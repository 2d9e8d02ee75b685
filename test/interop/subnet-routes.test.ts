// Subnet routers and exit nodes for real (root, network namespaces, nftables): home LANs whose
// hosts run no meshgate become reachable from the mesh through their router once approved;
// a route inside the coordinator's auto-approve policy needs no admin; TCP crosses two routers
// and a PMTUD black hole (MSS clamping); two homes on 192.168.1.0/24 are told apart by a
// translated prefix; an exit node carries a node's internet traffic and, once gone, nothing
// leaks around it; a second router takes a LAN over within 20 s of the first dying, and the
// first's return does not take it back; bad input is refused with the reason.
//
//   internet (hub, coordinator --auto-approve 10.50.0.0/16)  web 10.S.0.101 (whoami "web")
//     remote  10.S.0.11  ── client 10.50.0.2 (remote advertises 10.50.0.0/24, 172.20.0.0/24)
//     pia     10.S.0.12  ┐
//     pib     10.S.0.13  ┴─ LAN 1: lanhost1 192.168.1.20 (gateway pia 192.168.1.2; pib .3)
//     gw2     10.S.0.14  ── LAN 2: lanhost2 192.168.1.20 (gateway gw2 192.168.1.1),
//                           advertised as 192.168.1.0/24=10.77.1.0/24, and an exit node

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { describeNeeding, tool } from "../requirements.js";
import { NAMESPACE_NEEDS, type Namespace } from "./netns.js";
import { eventually, MAIN, RouteLab, type RouteNode } from "./route-lab.js";

const WHOAMI = fileURLToPath(new URL("./whoami.js", import.meta.url));
const TRANSFER = fileURLToPath(new URL("./tcp-transfer.js", import.meta.url));
const SUBNET = 93;
const WHOAMI_PORT = 7000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// "<name> <address it saw>" from a whoami server, or null when nothing answers.
async function whoami(from: Namespace, address: string): Promise<string | null> {
  try {
    return (await from.exec(process.execPath, [WHOAMI, "client", address, String(WHOAMI_PORT)], 5000)).stdout.trim();
  } catch {
    return null;
  }
}

interface RouteRow {
  readonly node: string;
  readonly prefix: string;
  readonly advertised: boolean;
  readonly approved: boolean;
  readonly primary: boolean;
}

describeNeeding([...NAMESPACE_NEEDS, tool("nft"), tool("setpriv"), tool("ping"), tool("wg"), tool("sysctl")], "subnet routers and exit nodes: LANs behind meshgate nodes, in network namespaces", () => {
  let lab: RouteLab;
  let remote: RouteNode;
  let pia: RouteNode;
  let pib: RouteNode;
  let gw2: RouteNode;
  let client: Namespace;
  let lanhost1: Namespace;
  let lanhost2: Namespace;
  let web: { ns: Namespace; address: string };

  const routes = async (): Promise<RouteRow[]> => {
    const listed = await lab.coordinatorCli(["routes", "list", "--json"]);
    assert.ok(listed.ok, listed.text);
    return JSON.parse(listed.text) as RouteRow[];
  };
  const route = async (node: string, prefix: string): Promise<RouteRow | undefined> => (await routes()).find((row) => row.node === node && row.prefix === prefix);
  const coordinator = async (args: readonly string[]): Promise<string> => {
    const result = await lab.coordinatorCli(args);
    assert.ok(result.ok, result.text);
    return result.text;
  };
  const serveWhoami = (ns: Namespace, name: string): void => void lab.adopt(ns.spawn(process.execPath, [WHOAMI, "server", "0.0.0.0", String(WHOAMI_PORT), name]));

  before(async () => {
    lab = await RouteLab.create("r", SUBNET, ["--auto-approve", "10.50.0.0/16"]);
    web = await lab.internetHost("web");
    serveWhoami(web.ns, "web");

    const remoteHost = await lab.nodeHost("remote");
    const clientLan = await lab.lan("cl", "10.50.0.2/24");
    client = clientLan.host;
    await clientLan.attach(remoteHost.ns, "10.50.0.1/24");
    await client.exec("ip", ["route", "add", "default", "via", "10.50.0.1"]);
    const piaHost = await lab.nodeHost("pia");
    const pibHost = await lab.nodeHost("pib");
    const gw2Host = await lab.nodeHost("gw2");
    const lan1 = await lab.lan("l1", "192.168.1.20/24");
    lanhost1 = lan1.host;
    await lan1.attach(piaHost.ns, "192.168.1.2/24");
    await lan1.attach(pibHost.ns, "192.168.1.3/24");
    await lanhost1.exec("ip", ["route", "add", "default", "via", "192.168.1.2"]);
    const lan2 = await lab.lan("l2", "192.168.1.20/24");
    lanhost2 = lan2.host;
    await lan2.attach(gw2Host.ns, "192.168.1.1/24");
    await lanhost2.exec("ip", ["route", "add", "default", "via", "192.168.1.1"]);
    for (const [ns, name] of [[lanhost1, "home1"], [lanhost2, "home2"], [client, "client"], [remoteHost.ns, "remote"]] as const) serveWhoami(ns, name);

    remote = await lab.startNode(remoteHost, ["--advertise-routes", "10.50.0.0/24,172.20.0.0/24"]);
    pia = await lab.startNode(piaHost, ["--advertise-routes", "192.168.1.0/24"]);
    pib = await lab.startNode(pibHost, ["--advertise-routes", "192.168.1.0/24"]);
    gw2 = await lab.startNode(gw2Host, ["--advertise-routes", "192.168.1.0/24=10.77.1.0/24", "--advertise-exit-node"]);
  });

  after(async () => {
    await lab?.destroy();
  });

  test("a LAN host is reachable through its router only once the route is approved; rejecting cuts it off", async () => {
    await eventually("pia's route listed", 10_000, async () => (await route("pia", "192.168.1.0/24"))?.advertised);
    assert.equal((await route("pia", "192.168.1.0/24"))!.approved, false);
    assert.equal(await whoami(remote.ns, "192.168.1.20"), null, "not reachable before approval");
    const status = await pia.cli(["status"]);
    assert.match(status.text, /192\.168\.1\.0\/24 \(awaiting approval: meshgate routes approve pia 192\.168\.1\.0\/24\)/);

    assert.match(await coordinator(["routes", "approve", "pia", "192.168.1.0/24"]), /192\.168\.1\.0\/24/);
    const reached = await eventually("lanhost1 through pia", 10_000, () => whoami(remote.ns, "192.168.1.20"));
    assert.equal(reached.value, "home1 192.168.1.2", "the LAN host sees the router's LAN address (masquerade)");
    process.stderr.write(`approval → first answer: ${reached.ms} ms\n`);
    const remoteView = (await remote.status()).routing!;
    assert.deepEqual(remoteView.subnetRoutes.find((use) => use.prefix === "192.168.1.0/24"), { prefix: "192.168.1.0/24", via: "pia", installed: true, reason: null });
    const piaView = (await pia.status()).routing!;
    assert.deepEqual([piaView.approvedRoutes, piaView.primaryRoutes], [["192.168.1.0/24"], ["192.168.1.0/24"]]);
    assert.match((await remote.ns.exec("ip", ["route", "show", "192.168.1.0/24"])).stdout, new RegExp(`dev ${remote.interfaceName}`));

    await coordinator(["routes", "reject", "pia", "192.168.1.0/24"]);
    await eventually("lanhost1 cut off", 30_000, async () => (await whoami(remote.ns, "192.168.1.20")) === null);
    assert.equal((await remote.ns.exec("ip", ["route", "show", "192.168.1.0/24"])).stdout.trim(), "", "the kernel route goes with the approval");
    await coordinator(["routes", "approve", "pia", "192.168.1.0/24"]);
    // Twice in CI lanhost1 never came back, and no later case reached it: a connection cut by the
    // reject was reset when the route returned, and that reset ended whoami's server (mended:
    // answer-services.test.ts). On failure, say what each side saw.
    try {
      await eventually("lanhost1 back", 30_000, () => whoami(remote.ns, "192.168.1.20"));
    } catch (error) {
      const views = { remote: (await remote.status()).routing, pia: (await pia.status()).routing, routes: await coordinator(["routes", "list"]) };
      throw new Error(`${error instanceof Error ? error.message : String(error)}; ${JSON.stringify(views)}`);
    }
  });

  test("auto-approve: a route inside the policy is live without an admin, one outside is not", async () => {
    await eventually("remote's routes listed", 10_000, async () => (await route("remote", "172.20.0.0/24"))?.advertised);
    assert.equal((await route("remote", "10.50.0.0/24"))!.approved, true);
    assert.equal((await route("remote", "172.20.0.0/24"))!.approved, false);
    // lanhost1 → client: through pia (its gateway, accepting remote's route) and remote.
    const answer = await eventually("client from lanhost1", 10_000, () => whoami(lanhost1, "10.50.0.2"));
    assert.match(answer.value, /^client /);
  });

  test("TCP between two LANs crosses both routers with PMTUD broken at both ends (MSS clamping)", async () => {
    // Both end hosts drop "fragmentation needed": only a clamped MSS gets full-size segments through the 1420-byte tunnel.
    for (const ns of [client, lanhost1]) {
      await ns.exec("nft", ["add", "table", "inet", "blackhole"]);
      await ns.exec("nft", ["add chain inet blackhole input { type filter hook input priority 0; }"]);
      await ns.exec("nft", ["add", "rule", "inet", "blackhole", "input", "icmp", "type", "destination-unreachable", "icmp", "code", "frag-needed", "drop"]);
    }
    const server = lab.adopt(lanhost1.spawn(process.execPath, [TRANSFER, "server", "0.0.0.0", "7001"]));
    await eventually("transfer server listening", 5000, async () => server.output.join("").includes("listening"));
    const sent = await client.exec(process.execPath, [TRANSFER, "client", "192.168.1.20", "7001", String(20 << 20)], 60_000);
    await eventually("transfer received", 10_000, async () => server.output.join("").match(/[0-9a-f]{64} \d+/));
    assert.equal(server.output.join("").match(/([0-9a-f]{64} \d+)/)![1], sent.stdout.trim(), "20 MiB arrive intact");
  });

  test("two homes on 192.168.1.0/24: the translated one is reached by its mesh prefix, replies and its own connections come back", async () => {
    await eventually("gw2's route listed", 10_000, async () => (await route("gw2", "10.77.1.0/24"))?.advertised);
    await coordinator(["routes", "approve", "gw2", "10.77.1.0/24"]);
    const home2 = await eventually("lanhost2 by 10.77.1.20", 10_000, () => whoami(remote.ns, "10.77.1.20"));
    assert.equal(home2.value, "home2 192.168.1.1", "home 2 answers on its translated address");
    assert.equal(await whoami(remote.ns, "192.168.1.20"), "home1 192.168.1.2", "home 1 keeps its own prefix");
    // A connection home 2 starts leaves it translated 1:1, so the mesh never sees its ambiguous prefix.
    const remoteMesh = (await remote.status()).self!.ipv4;
    // (Retried: the first SYN may meet gw2 and remote still setting up their path; a whoami gives up after 3 s.)
    const fromHome2 = await eventually("remote answering lanhost2", 15_000, () => whoami(lanhost2, remoteMesh));
    assert.equal(fromHome2.value, "remote 10.77.1.20");
    const gw2View = (await gw2.status()).routing!;
    const shadowed = gw2View.subnetRoutes.find((use) => use.prefix === "192.168.1.0/24")!;
    assert.equal(shadowed.installed, false, "gw2 does not route its own LAN's prefix into the tunnel");
    assert.match(shadowed.reason!, /own network 192\.168\.1\.0\/24/);
  });

  test("exit node: internet traffic leaves through it, control traffic does not loop, and once it is gone nothing leaks", async () => {
    assert.equal(await whoami(remote.ns, web.address), `web ${remote.address}`, "before: straight out");
    const refused = await remote.cli(["set", "--exit-node", "gw2"]);
    assert.ok(refused.ok, refused.text); // accepted, but not approved yet: traffic is blocked, not leaked
    assert.match(refused.text, /not an approved exit node/);
    assert.equal(await whoami(remote.ns, web.address), null, "an unapproved exit node blocks rather than leaks");
    await coordinator(["routes", "approve", "gw2", "exit-node"]);
    const out = await eventually("web through gw2", 10_000, () => whoami(remote.ns, web.address));
    assert.equal(out.value, `web ${gw2.address}`, "the server sees the exit node's address");
    await sleep(3000);
    const status = await remote.status();
    assert.equal(status.coordinator.state.kind, "connected", "control traffic still reaches the coordinator");
    assert.equal(status.peers.find((peer) => peer.name === "pia")?.path, "direct", "WireGuard still goes straight to peers");
    assert.equal(await whoami(remote.ns, "192.168.1.20"), "home1 192.168.1.2", "subnet routes still work");

    gw2.process.kill("SIGKILL");
    await eventually("web unreachable with the exit node gone", 10_000, async () => (await whoami(remote.ns, web.address)) === null);
    for (let i = 0; i < 3; i++) assert.equal(await whoami(remote.ns, web.address), null, "no leak around the dead exit node");
    const cleared = await remote.cli(["set", "--exit-node="]);
    assert.ok(cleared.ok, cleared.text);
    assert.equal(await whoami(remote.ns, web.address), `web ${remote.address}`, "cleared: straight out again");
    assert.doesNotMatch((await remote.ns.exec("ip", ["rule", "show"])).stdout, /52820/, "the policy rules are gone");
  });

  test("failover: the second router takes the LAN over within 20 s of the primary's kill -9 (and of its link going down); its return does not flap", async () => {
    await coordinator(["routes", "approve", "pib", "192.168.1.0/24"]);
    await eventually("both approved", 10_000, async () => (await route("pib", "192.168.1.0/24"))?.approved);
    assert.equal((await route("pia", "192.168.1.0/24"))!.primary, true);
    assert.equal((await route("pib", "192.168.1.0/24"))!.primary, false);
    assert.equal(await whoami(remote.ns, "192.168.1.20"), "home1 192.168.1.2");

    pia.process.kill("SIGKILL");
    const started = Date.now();
    const back = await eventually("lanhost1 through pib", 20_000, async () => {
      const answer = await whoami(remote.ns, "192.168.1.20");
      return answer === "home1 192.168.1.3" ? answer : null;
    });
    process.stderr.write(`failover: lanhost1 answered through pib ${Date.now() - started} ms after pia's kill -9 (${back.ms} ms of polling)\n`);
    assert.equal((await route("pib", "192.168.1.0/24"))!.primary, true);
    assert.deepEqual((await pib.status()).routing!.primaryRoutes, ["192.168.1.0/24"], "pib knows it is the primary now");

    await lab.restartNode(pia);
    await eventually("pia connected again", 20_000, async () => (await pia.status()).coordinator.state.kind === "connected");
    await sleep(8000);
    assert.equal((await route("pib", "192.168.1.0/24"))!.primary, true, "the returning router does not take the route back");
    assert.equal((await route("pia", "192.168.1.0/24"))!.primary, false);
    assert.equal(await whoami(remote.ns, "192.168.1.20"), "home1 192.168.1.3");

    // Now the primary's link goes down (no connection closes: only silence tells).
    await pib.ns.exec("ip", ["link", "set", pib.uplink, "down"]);
    const linkDown = Date.now();
    await eventually("lanhost1 through pia again", 20_000, async () => (await whoami(remote.ns, "192.168.1.20")) === "home1 192.168.1.2");
    process.stderr.write(`failover: lanhost1 answered through pia ${Date.now() - linkDown} ms after pib's link went down\n`);
    await pib.ns.exec("ip", ["link", "set", pib.uplink, "up"]);
    await pib.ns.exec("ip", ["route", "replace", "default", "via", lab.hubAddress]);
  });

  test("a node that routes nothing, on a host that forwards anyway, lets no peer through to the host's networks", async () => {
    // A container host: forwarding on before meshgate came, a network behind it.
    const boxHost = await lab.nodeHost("box");
    await boxHost.ns.exec("sysctl", ["-qw", "net.ipv4.ip_forward=1"]);
    const inside = await lab.lan("bx", "172.30.0.2/24");
    await inside.attach(boxHost.ns, "172.30.0.1/24");
    await inside.host.exec("ip", ["route", "add", "default", "via", "172.30.0.1"]);
    const box = await lab.startNode(boxHost);
    const boxKey = (await box.status()).self!.nodeKey;
    await eventually("remote reaches box", 15_000, async () => (await remote.status()).peers.find((peer) => peer.name === "box")?.online && (await remote.ns.ping((await box.status()).self!.ipv4, 1)).received === 1);
    // remote turns rogue: routes the container network to box by hand (no approval anywhere).
    // Its own node puts the AllowedIPs back with the next netmap, so it tries until one reaches box.
    const allowed = `${(await box.status()).self!.ipv4}/32,${(await box.status()).self!.ipv6}/128,172.30.0.0/24`;
    await remote.ns.exec("ip", ["route", "replace", "172.30.0.0/24", "dev", remote.interfaceName]);
    const dropped = async (): Promise<number> =>
      Number(/packets (\d+)/.exec((await box.ns.exec("nft", ["list", "counter", "inet", `meshgate_${box.interfaceName}`, "dropped_from_mesh"])).stdout)?.[1] ?? 0);
    for (let attempt = 0; attempt < 5 && (await dropped()) === 0; attempt++) {
      await remote.ns.exec("wg", ["set", remote.interfaceName, "peer", boxKey, "allowed-ips", allowed]);
      assert.equal((await remote.ns.ping("172.30.0.2", 2, ["-W", "1"])).received, 0, "box's guard drops it");
    }
    assert.ok((await dropped()) > 0, "and counts it");
    await remote.ns.exec("ip", ["route", "del", "172.30.0.0/24", "dev", remote.interfaceName]);
  });

  test("bad input: clear errors, nothing half-applied", async () => {
    const before = (await remote.status()).routing!.prefs;
    const own = await remote.cli(["set", "--advertise-routes", "100.64.5.0/24"]);
    assert.ok(!own.ok);
    assert.match(own.text, /overlaps the mesh's own addresses/);
    const hostBits = await remote.cli(["set", "--advertise-routes", "10.50.0.1/24"]);
    assert.ok(!hostBits.ok);
    assert.match(hostBits.text, /host bits set: did you mean 10\.50\.0\.0\/24\?/);
    assert.deepEqual((await remote.status()).routing!.prefs, before, "the refused changes changed nothing");

    const unadvertised = await lab.coordinatorCli(["routes", "approve", "remote", "10.99.0.0/24"]);
    assert.ok(!unadvertised.ok);
    assert.match(unadvertised.text, /remote does not advertise 10\.99\.0\.0\/24/);
    const badCidr = await lab.coordinatorCli(["routes", "approve", "remote", "10.99.0.0/33"]);
    assert.ok(!badCidr.ok);
    assert.equal((await route("remote", "172.20.0.0/24"))!.approved, false);

    // In a namespace of the lab, so that nothing could ever touch this machine's own network.
    const badUp = await remote.ns.exec(process.execPath, [MAIN, "up", "--advertise-routes", "192.168.7.0/33", "--state-dir", `${lab.stateRoot}/never`]).then(() => "", (error: Error) => error.message);
    assert.match(badUp, /--advertise-routes: "192\.168\.7\.0\/33" is not a CIDR prefix/);
    const unprivileged = await remote.ns.exec("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, MAIN, "up", "--advertise-routes", "10.60.0.0/24", "--state-dir", "/tmp/never"])
      .then(() => "", (error: Error) => error.message);
    assert.match(unprivileged, /--advertise-routes needs root/);
  });

  test("down takes everything back: the router's table and forwarding, the exit node's rules", async () => {
    const stop = async (node: RouteNode): Promise<void> => {
      const exited = new Promise((resolve) => node.process.once("exit", resolve));
      node.process.kill("SIGTERM"); // what `meshgate down` sends
      await exited;
    };
    const inUse = await remote.cli(["set", "--exit-node", "pia"]);
    assert.ok(inUse.ok, inUse.text);
    assert.match((await remote.ns.exec("ip", ["rule", "show"])).stdout, /lookup 52820/);
    await stop(remote);
    assert.doesNotMatch((await remote.ns.exec("ip", ["rule", "show"])).stdout, /52820|5200:/, "the exit node's rules are gone");
    assert.match((await pib.ns.exec("nft", ["list", "tables"])).stdout, /meshgate_/);
    await stop(pib);
    assert.doesNotMatch((await pib.ns.exec("nft", ["list", "tables"])).stdout, /meshgate_/, "the router's table is gone");
    assert.equal((await pib.ns.exec("sysctl", ["-n", "net.ipv4.ip_forward"])).stdout.trim(), "0", "forwarding is back off");
  });
});
