// Port mapping for real (root): a home router of the NAT lab runs miniupnpd (UPnP IGD, NAT-PMP
// and PCP); the port mapper, on its real adapters, runs on the home host behind it. For each
// protocol on its own: the mapper gets a mapping; a datagram from a public host to the router's
// WAN address and the mapped port reaches the home host's socket (before, the router drops it);
// a renewal reaches the router (its lease ends later) and keeps the mapping; stop() deletes it
// and the router drops such datagrams again. With every protocol allowed, the mapper picks one
// (PCP) and reports all three as answering; behind a router without miniupnpd, none answers.

import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { GatewayRoute, PortMapProtocol, PortMapStatus } from "../../src/nat/portmap/port-mapping.js";
import { describeNeeding, tool } from "../requirements.js";
import { NatLab, type Home, type PublicHost } from "./nat-lab.js";
import { NAMESPACE_NEEDS, type Namespace } from "./netns.js";

const DRIVER = fileURLToPath(new URL("./portmap-driver.js", import.meta.url));
const REFLECTOR = fileURLToPath(new URL("./udp-reflector.js", import.meta.url));
const PROBE = fileURLToPath(new URL("./udp-probe.js", import.meta.url));
const LOCAL_PORT = 41641; // the home host's "WireGuard" port: a reflector listens there
const HALF_LIFE_MS = 3_600_000;
const LIFETIME_MS = 7_200_000;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface PollAnswer {
  readonly route: GatewayRoute | null;
  readonly status: PortMapStatus;
  readonly nextDeadline: number | null;
  readonly sent: string[]; // the requests the mapper made (portmap-driver.ts)
}

interface StopAnswer {
  readonly deletions: string[];
  readonly sent: string[];
}

interface Driver {
  poll(now: number): Promise<PollAnswer>;
  stop(): Promise<StopAnswer>;
}

// What each protocol sends to map, renew and delete (as portmap-driver.ts names requests).
const REQUESTS = {
  pcp: { map: ["pcp announce", "pcp map"], renew: ["pcp map"], delete: ["pcp map"] },
  natpmp: { map: ["natpmp address", "natpmp map"], renew: ["natpmp map"], delete: ["natpmp map"] },
  upnp: {
    map: ["ssdp search", "upnp description", "upnp GetExternalIPAddress", "upnp AddPortMapping"],
    renew: ["upnp GetExternalIPAddress", "upnp AddPortMapping"],
    delete: ["upnp DeletePortMapping"],
  },
} as const;

// The port mapper in `ns` (portmap-driver.ts), one JSON line per command and answer.
function startDriver(lab: NatLab, ns: Namespace, protocols?: readonly PortMapProtocol[]): Driver {
  const args = [DRIVER, String(LOCAL_PORT), ...(protocols === undefined ? [] : [protocols.join(",")])];
  const child: ChildProcess = lab.adopt(spawn("ip", ["netns", "exec", ns.name, process.execPath, ...args], { stdio: ["pipe", "pipe", "pipe"] }));
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const waiting: { resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => waiting.shift()?.resolve(line));
  child.once("exit", (code) => {
    for (const waiter of waiting.splice(0)) waiter.reject(new Error(`the port mapper driver exited (${code}): ${stderr.trim()}`));
  });
  const ask = <T>(command: object): Promise<T> =>
    new Promise<string>((resolve, reject) => {
      waiting.push({ resolve, reject });
      child.stdin!.write(`${JSON.stringify(command)}\n`);
    }).then((line) => JSON.parse(line) as T);
  let stopping: Promise<StopAnswer> | null = null;
  return {
    poll: (now) => ask<PollAnswer>({ op: "poll", now }),
    // Once: a test's `finally` stops a driver the test may have stopped already.
    stop: () => (stopping ??= child.exitCode === null ? ask({ op: "stop" }) : Promise.resolve({ deletions: [], sent: [] })),
  };
}

describeNeeding([...NAMESPACE_NEEDS, tool("nft"), tool("conntrack"), tool("miniupnpd")], "port mapping through a home router running miniupnpd", () => {
  let lab: NatLab;
  let home: Home;
  let plainHome: Home;
  let outside: PublicHost;
  let nextProbePort = 20000;

  before(async () => {
    lab = await NatLab.create("p");
    outside = await lab.publicHost("c");
    home = await lab.home({ nat: "endpoint-independent", portMapping: true });
    plainHome = await lab.home({ nat: "endpoint-independent" });
    for (const { host } of [home, plainHome]) {
      const reflector = lab.adopt(host.spawn(process.execPath, [REFLECTOR, String(LOCAL_PORT)]));
      await new Promise<void>((resolve) => reflector.stdout!.once("data", () => resolve()));
    }
  });
  after(async () => lab?.destroy());

  // One datagram from the public host (a fresh source port each time, so no earlier conntrack
  // entry can carry it) to the router's WAN address and `port`: true if the home host's
  // reflector answered through the router.
  const reachesOnce = async (port: number): Promise<boolean> => {
    const target = `${home.wanAddress}:${port}`;
    const answers = JSON.parse((await outside.ns.exec(process.execPath, [PROBE, String(nextProbePort++), target])).stdout) as Record<string, string | null>;
    return answers[target] !== null;
  };
  // A positive answer may be late on a busy machine: a few tries before concluding it is dropped.
  const reaches = async (port: number): Promise<boolean> => {
    for (let attempt = 0; attempt < 4; attempt++) if (await reachesOnce(port)) return true;
    return false;
  };

  // Runs `body` with a driver in `ns`, and stops the driver afterwards even if `body` failed, so
  // no mapping outlives its test.
  const withDriver = async (ns: Namespace, protocols: readonly PortMapProtocol[] | undefined, body: (driver: Driver) => Promise<void>): Promise<void> => {
    const driver = startDriver(lab, ns, protocols);
    try {
      await body(driver);
    } finally {
      await driver.stop().catch(() => undefined);
    }
  };

  const leaseOf = (port: number) => home.portMapping!.leases().find((lease) => lease.protocol === "UDP" && lease.externalPort === port);
  const miniupnpdLog = (): string => home.portMapping!.process.output.join("").slice(-3000);

  for (const protocol of ["pcp", "natpmp", "upnp"] as const) {
    test(`${protocol}: a mapping that reaches the home host, renewed, then deleted`, { timeout: 180_000 }, async () => {
      assert.equal(await reachesOnce(LOCAL_PORT), false, "before any mapping the router drops it");
      await withDriver(home.host, [protocol], async (driver) => {
        const first = await driver.poll(0);
        assert.deepEqual(first.route, { gateway: home.gateway, localAddress: home.lanAddress });
        const mapping = first.status.mapping;
        assert.ok(mapping !== null, `no mapping: ${JSON.stringify(first.status)}\n${miniupnpdLog()}`);
        assert.equal(mapping.protocol, protocol);
        assert.equal(mapping.externalEndpoint.host, home.wanAddress);
        assert.equal(mapping.expiresAt, LIFETIME_MS);
        assert.equal(first.nextDeadline, 10 * 60_000, "the first thing due is the 10-minute re-check");
        assert.deepEqual(first.status.answered, { pcp: protocol === "pcp", natpmp: protocol === "natpmp", upnp: protocol === "upnp" });
        assert.deepEqual(first.sent, REQUESTS[protocol].map);
        const port = mapping.externalEndpoint.port;
        const lease = leaseOf(port);
        assert.ok(lease !== undefined, `miniupnpd holds no lease for ${port}: ${JSON.stringify(home.portMapping!.leases())}`);
        assert.deepEqual([lease.internalAddress, lease.internalPort], [home.lanAddress, LOCAL_PORT]);
        assert.ok(await reaches(port), "a datagram to the mapped port reaches the home host");

        // The router's lease clock is real time (whole seconds); let it move before renewing.
        await sleep(2500);
        const renewed = await driver.poll(HALF_LIFE_MS);
        assert.deepEqual(renewed.status.mapping?.externalEndpoint, mapping.externalEndpoint, JSON.stringify(renewed.status));
        assert.equal(renewed.status.mapping?.expiresAt, HALF_LIFE_MS + LIFETIME_MS);
        assert.equal(renewed.nextDeadline, HALF_LIFE_MS + 10 * 60_000, "the next step is the 10-minute re-check");
        assert.deepEqual(renewed.sent, REQUESTS[protocol].renew, "a renewal, not a fresh mapping");
        const renewedLease = leaseOf(port);
        assert.ok(renewedLease !== undefined && renewedLease.expiresAt > lease.expiresAt, `the renewal reached the router: ${lease.expiresAt} → ${renewedLease?.expiresAt}`);
        assert.ok(await reaches(port), "the renewed mapping still reaches the home host");

        assert.deepEqual(await driver.stop(), { deletions: [protocol], sent: REQUESTS[protocol].delete });
        assert.equal(leaseOf(port), undefined, "miniupnpd deleted the mapping");
        assert.equal(await reachesOnce(port), false, "after stop() the router drops it again");
      });
    });
  }

  test("every protocol allowed: all three answer and the mapper picks PCP", { timeout: 180_000 }, async () => {
    await withDriver(home.host, undefined, async (driver) => {
      const { status, sent } = await driver.poll(0);
      assert.deepEqual(status.answered, { pcp: true, natpmp: true, upnp: true });
      assert.deepEqual(sent, ["pcp announce", "natpmp address", "ssdp search", "pcp map"], "three probes at once, then one mapping");
      assert.equal(status.mapping?.protocol, "pcp", JSON.stringify(status));
      assert.ok(await reaches(status.mapping.externalEndpoint.port));
      assert.deepEqual(await driver.stop(), { deletions: ["pcp"], sent: REQUESTS.pcp.delete });
      assert.equal(await reachesOnce(status.mapping.externalEndpoint.port), false);
    });
  });

  test("a router that maps nothing: no protocol answers, and the mapper says so", { timeout: 180_000 }, async () => {
    await withDriver(plainHome.host, undefined, async (driver) => {
      const { status, nextDeadline } = await driver.poll(0);
      assert.equal(status.mapping, null);
      assert.equal(status.problem?.code, "unanswered", JSON.stringify(status));
      assert.deepEqual(status.answered, { pcp: false, natpmp: false, upnp: false });
      assert.equal(nextDeadline, 10 * 60_000, "asked again at the 10-minute re-check");
      assert.deepEqual(await driver.stop(), { deletions: [], sent: [] });
    });
  });
});
