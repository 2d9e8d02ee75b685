// The port mapper against a gateway in memory (fake-gateway.ts), on a clock the test moves:
// which protocol it picks and why, the timeline of probes, renewals and re-checks, what a
// reboot, a silent or refusing gateway, a route change and stop() do.

import assert from "node:assert/strict";
import { test } from "node:test";
import { createPortMapper, PORT_MAP_RECHECK_MS, type PortMapper, type PortMapperOptions } from "../../../src/nat/portmap/port-mapper.js";
import { sendDeletions, type PortMapTransports } from "../../../src/nat/portmap/port-mapping.js";
import { createFakeClock } from "../../fakes/fake-clock.js";
import { createSeededRandom } from "../../fakes/seeded-random.js";
import { createFakeGateway, GATEWAY, LOCAL_ADDRESS, ROUTE, type FakeGateway } from "./fake-gateway.js";

const PORT = 41641;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function setup(options: Partial<PortMapperOptions> = {}): { gateway: FakeGateway; mapper: PortMapper } {
  const gateway = createFakeGateway();
  const mapper = createPortMapper({ localPort: PORT, transports: gateway.transports, random: createSeededRandom(1), ...options });
  return { gateway, mapper };
}

// The log since the last call: what the gateway received.
function since(gateway: FakeGateway): () => string[] {
  let seen = gateway.log.length;
  return () => {
    const fresh = gateway.log.slice(seen);
    seen = gateway.log.length;
    return fresh;
  };
}

test("every protocol answers: all three are probed at once, then PCP maps", async () => {
  const { gateway, mapper } = setup();
  const status = await mapper.poll(0, ROUTE);
  assert.deepEqual(status, {
    mapping: { protocol: "pcp", externalEndpoint: { host: "11.0.0.11", port: PORT }, expiresAt: 2 * HOUR },
    problem: null,
    answered: { upnp: true, natpmp: true, pcp: true },
  });
  assert.deepEqual(gateway.log.slice(0, 3).sort(), ["natpmp address", "pcp announce", "ssdp search"], "the probes come first");
  assert.match(gateway.log[3]!, /^pcp map 41641→41641 7200s nonce [0-9a-f]{24}$/);
  assert.equal(gateway.log.length, 4, "nothing else: NAT-PMP and UPnP map nothing");
  assert.equal(mapper.nextDeadline(), PORT_MAP_RECHECK_MS);
  assert.deepEqual(mapper.status(), status);
});

test("the next protocol that answered takes over when a better one is silent or refuses", async () => {
  const silentPcp = setup();
  silentPcp.gateway.answers.pcp = false;
  assert.equal((await silentPcp.mapper.poll(0, ROUTE)).mapping?.protocol, "natpmp");

  const onlyUpnp = setup();
  Object.assign(onlyUpnp.gateway.answers, { pcp: false, natpmp: false });
  const status = await onlyUpnp.mapper.poll(0, ROUTE);
  assert.equal(status.mapping?.protocol, "upnp");
  assert.deepEqual(status.answered, { upnp: true, natpmp: false, pcp: false });
  assert.deepEqual(onlyUpnp.gateway.log, ["ssdp search", "GET /rootDesc.xml", "upnp GetExternalIPAddress", "upnp AddPortMapping 41641→41641 7200s meshgate"]);

  const refusingPcp = setup();
  refusingPcp.gateway.pcpResult = 2; // NOT_AUTHORIZED
  const fallback = await refusingPcp.mapper.poll(0, ROUTE);
  assert.equal(fallback.mapping?.protocol, "natpmp");
  assert.deepEqual(fallback.answered, { upnp: true, natpmp: true, pcp: true });
});

test("forcing one protocol probes and uses only that one", async () => {
  for (const protocol of ["pcp", "natpmp", "upnp"] as const) {
    const { gateway, mapper } = setup({ protocols: [protocol] });
    const status = await mapper.poll(0, ROUTE);
    assert.equal(status.mapping?.protocol, protocol);
    assert.deepEqual(status.answered, { pcp: protocol === "pcp", natpmp: protocol === "natpmp", upnp: protocol === "upnp" });
    const other = { pcp: /^pcp/, natpmp: /^natpmp/, upnp: /^(ssdp|GET|upnp)/ };
    for (const [name, pattern] of Object.entries(other)) if (name !== protocol) assert.ok(!gateway.log.some((line) => pattern.test(line)), `${protocol}: ${gateway.log.join(", ")}`);
  }
});

test("the timeline on a fake clock: re-checks every 10 minutes, renewal at half-life, for hours", async () => {
  const { gateway, mapper } = setup({ protocols: ["pcp"] });
  const clock = createFakeClock();
  const fresh = since(gateway);
  const events: string[] = [];
  // What the daemon does: poll, then sleep until nextDeadline().
  await mapper.poll(clock.now(), ROUTE);
  events.push(`${clock.now() / MINUTE}: ${fresh().join(", ")}`);
  while (clock.now() < 3 * HOUR) {
    clock.runUntil(mapper.nextDeadline()!);
    gateway.epochSeconds = 1000 + clock.now() / 1000; // the gateway's clock runs with ours
    const status = await mapper.poll(clock.now(), ROUTE);
    assert.ok(status.mapping !== null && status.mapping.expiresAt > clock.now());
    events.push(`${clock.now() / MINUTE}: ${fresh().join(", ").replace(/ nonce \w+/g, "")}`);
  }
  const map = "pcp map 41641→41641 7200s";
  assert.deepEqual(events.map((event) => event.replace(/ nonce \w+/g, "")), [
    `0: pcp announce, ${map}`,
    "10: pcp announce",
    "20: pcp announce",
    "30: pcp announce",
    "40: pcp announce",
    "50: pcp announce",
    `60: ${map}`, // renewal at half of 7,200 s, instead of a re-check
    "70: pcp announce",
    "80: pcp announce",
    "90: pcp announce",
    "100: pcp announce",
    "110: pcp announce",
    `120: ${map}`,
    "130: pcp announce",
    "140: pcp announce",
    "150: pcp announce",
    "160: pcp announce",
    "170: pcp announce",
    `180: ${map}`,
  ]);
  const nonces = new Set(gateway.log.filter((line) => line.startsWith("pcp map")).map((line) => line.split(" nonce ")[1]));
  assert.equal(nonces.size, 1, "every renewal uses the mapping's nonce");
  assert.equal(mapper.status().mapping?.expiresAt, 3 * HOUR + 2 * HOUR);
});

test("a poll before anything is due sends nothing", async () => {
  const { gateway, mapper } = setup();
  await mapper.poll(0, ROUTE);
  const fresh = since(gateway);
  for (const now of [1, MINUTE, PORT_MAP_RECHECK_MS - 1]) {
    assert.equal((await mapper.poll(now, ROUTE)).mapping?.protocol, "pcp");
    assert.deepEqual(fresh(), [], `at ${now} ms`);
  }
});

test("the granted lifetime sets the renewal, never sooner than 5 s", async () => {
  const short = setup({ protocols: ["natpmp"] });
  short.gateway.maxLifetimeSeconds = 600;
  const status = await short.mapper.poll(1000, ROUTE);
  assert.equal(status.mapping?.expiresAt, 1000 + 600_000);
  assert.equal(short.mapper.nextDeadline(), 1000 + 300_000, "half of 600 s comes before the 10-minute re-check");

  const absurd = setup({ protocols: ["pcp"] });
  absurd.gateway.maxLifetimeSeconds = 4;
  await absurd.mapper.poll(0, ROUTE);
  assert.equal(absurd.mapper.nextDeadline(), 5000);
});

test("no gateway: nothing sent, the reason, asked again in 10 minutes", async () => {
  const { gateway, mapper } = setup();
  assert.deepEqual(await mapper.poll(7, null), {
    mapping: null,
    problem: { code: "no-gateway", message: "no default IPv4 gateway" },
    answered: { upnp: false, natpmp: false, pcp: false },
  });
  assert.deepEqual(gateway.log, []);
  assert.equal(mapper.nextDeadline(), 7 + PORT_MAP_RECHECK_MS);
});

test("every protocol silent: 'unanswered', naming them, and retried at the re-check", async () => {
  const { gateway, mapper } = setup();
  Object.assign(gateway.answers, { pcp: false, natpmp: false, upnp: false });
  const status = await mapper.poll(0, ROUTE);
  assert.deepEqual(status, {
    mapping: null,
    problem: { code: "unanswered", message: "no PCP, NAT-PMP, UPnP answer from the gateway 192.168.1.1" },
    answered: { upnp: false, natpmp: false, pcp: false },
  });
  assert.equal(mapper.nextDeadline(), PORT_MAP_RECHECK_MS);
  assert.equal(gateway.requests, 3, "one probe each");
  assert.equal((await mapper.poll(PORT_MAP_RECHECK_MS - 1, ROUTE)).problem?.code, "unanswered");
  assert.equal(gateway.requests, 3, "not asked again before the re-check");
  gateway.answers.natpmp = true;
  assert.equal((await mapper.poll(PORT_MAP_RECHECK_MS, ROUTE)).mapping?.protocol, "natpmp");
});

test("error result codes: 'refused', naming the protocol and the code", async () => {
  const pcp = setup({ protocols: ["pcp"] });
  pcp.gateway.pcpResult = 8;
  assert.deepEqual((await pcp.mapper.poll(0, ROUTE)).problem, { code: "refused", message: "PCP: no resources" });

  const natpmpMap = setup({ protocols: ["natpmp"] });
  natpmpMap.gateway.natPmpMapResult = 2;
  assert.deepEqual((await natpmpMap.mapper.poll(0, ROUTE)).problem, { code: "refused", message: "NAT-PMP: not authorized or refused" });

  const natpmpAddress = setup({ protocols: ["natpmp"] });
  natpmpAddress.gateway.natPmpAddressResult = 3;
  assert.deepEqual((await natpmpAddress.mapper.poll(0, ROUTE)).problem, { code: "refused", message: "NAT-PMP: network failure (the gateway has no public address)" });
  assert.ok(!natpmpAddress.gateway.log.some((line) => line.startsWith("natpmp map")), "no mapping without a public address to announce");

  const upnp = setup({ protocols: ["upnp"] });
  upnp.gateway.upnpFaults.push(606);
  assert.deepEqual((await upnp.mapper.poll(0, ROUTE)).problem, { code: "refused", message: "UPnP AddPortMapping: UPnP error 606 (fault 606)" });

  const all = setup();
  all.gateway.pcpResult = 2;
  all.gateway.natPmpMapResult = 2;
  all.gateway.upnpFaults.push(606);
  assert.deepEqual((await all.mapper.poll(0, ROUTE)).problem, { code: "refused", message: "UPnP AddPortMapping: UPnP error 606 (fault 606)" }, "the last protocol's reason");
});

test("UPnP: a taken port is retried once on another; an IGD 1 that wants a permanent lease gets one", async () => {
  const conflict = setup({ protocols: ["upnp"] });
  conflict.gateway.upnpFaults.push(718);
  const moved = await conflict.mapper.poll(0, ROUTE);
  const port = moved.mapping?.externalEndpoint.port ?? 0;
  assert.ok(port >= 1024 && port !== PORT, `another port: ${port}`);
  assert.equal(conflict.gateway.mappings.get(port)?.internalPort, PORT);

  const twice = setup({ protocols: ["upnp"] });
  twice.gateway.upnpFaults.push(718, 718);
  assert.equal((await twice.mapper.poll(0, ROUTE)).problem?.message, "UPnP AddPortMapping: UPnP error 718 (fault 718)", "only one retry");

  const permanent = setup({ protocols: ["upnp"] });
  permanent.gateway.upnpFaults.push(725);
  const status = await permanent.mapper.poll(0, ROUTE);
  assert.equal(status.mapping?.expiresAt, 2 * HOUR, "renewed on the usual schedule");
  assert.deepEqual(permanent.gateway.log.filter((line) => line.includes("AddPortMapping")), ["upnp AddPortMapping 41641→41641 7200s meshgate", "upnp AddPortMapping 41641→41641 0s meshgate"]);
});

test("UPnP never follows a URL off the gateway", async () => {
  const location = setup({ protocols: ["upnp"] });
  location.gateway.location = "http://192.168.1.66:5000/rootDesc.xml";
  const status = await location.mapper.poll(0, ROUTE);
  assert.equal(status.problem?.code, "refused");
  assert.match(status.problem?.message ?? "", /description URL "http:\/\/192\.168\.1\.66:5000\/rootDesc\.xml" is not http on the gateway 192\.168\.1\.1/);
  assert.deepEqual(location.gateway.log, ["ssdp search"], "no HTTP request at all");

  const control = setup({ protocols: ["upnp"] });
  control.gateway.controlUrl = "http://203.0.113.5/ctl";
  assert.equal((await control.mapper.poll(0, ROUTE)).problem?.code, "refused");
  assert.deepEqual(control.gateway.log, ["ssdp search", "GET /rootDesc.xml"]);
});

test("a renewal that fails ends the mapping and starts over with what answers", async () => {
  const { gateway, mapper } = setup();
  await mapper.poll(0, ROUTE);
  gateway.answers.pcp = false;
  const fresh = since(gateway);
  const status = await mapper.poll(HOUR, ROUTE);
  assert.equal(status.mapping?.protocol, "natpmp");
  assert.deepEqual(status.answered, { upnp: true, natpmp: true, pcp: false });
  assert.deepEqual(fresh().filter((line) => line.includes("map")), ["natpmp map 41641→41641 7200s"]);

  Object.assign(gateway.answers, { natpmp: false, upnp: false });
  const gone = await mapper.poll(2 * HOUR, ROUTE);
  assert.equal(gone.mapping, null);
  assert.equal(gone.problem?.code, "unanswered");
});

test("a mapping past its expiry is never reported, even unpolled until then", async () => {
  const { gateway, mapper } = setup({ protocols: ["pcp"] });
  await mapper.poll(0, ROUTE);
  gateway.answers.pcp = false;
  const late = await mapper.poll(3 * HOUR, ROUTE);
  assert.equal(late.mapping, null);
  assert.equal(late.problem?.code, "unanswered");
});

test("a gateway that rebooted (its epoch went back) is asked again at the re-check", async () => {
  for (const protocol of ["pcp", "natpmp"] as const) {
    const { gateway, mapper } = setup({ protocols: [protocol] });
    await mapper.poll(0, ROUTE);
    gateway.epochSeconds += 600;
    const fresh = since(gateway);
    await mapper.poll(PORT_MAP_RECHECK_MS, ROUTE);
    assert.ok(!fresh().some((line) => line.includes(" map ")), `${protocol}: the epoch moved with our clock: nothing to redo`);

    gateway.reboot();
    gateway.epochSeconds = 30;
    const status = await mapper.poll(2 * PORT_MAP_RECHECK_MS, ROUTE);
    assert.ok(fresh().some((line) => line.startsWith(`${protocol} map`)), `${protocol}: mapped again`);
    assert.equal(status.mapping?.expiresAt, 2 * PORT_MAP_RECHECK_MS + 2 * HOUR);
    assert.equal(gateway.mappings.size, 1);
  }
});

test("NAT-PMP: a new public address at the re-check means a new mapping and endpoint", async () => {
  const { gateway, mapper } = setup({ protocols: ["natpmp"] });
  await mapper.poll(0, ROUTE);
  gateway.epochSeconds += 600;
  gateway.externalAddress = "11.0.0.99";
  const status = await mapper.poll(PORT_MAP_RECHECK_MS, ROUTE);
  assert.deepEqual(status.mapping?.externalEndpoint, { host: "11.0.0.99", port: PORT });
});

test("UPnP: the re-check re-adds the mapping, and re-reads a description that moved", async () => {
  const { gateway, mapper } = setup({ protocols: ["upnp"] });
  await mapper.poll(0, ROUTE);
  const fresh = since(gateway);
  await mapper.poll(PORT_MAP_RECHECK_MS, ROUTE);
  assert.deepEqual(fresh(), ["ssdp search", "upnp GetExternalIPAddress", "upnp AddPortMapping 41641→41641 7200s meshgate"]);

  gateway.reboot();
  gateway.location = "http://192.168.1.1:40000/rootDesc.xml"; // miniupnpd picks a new port at each start
  const status = await mapper.poll(2 * PORT_MAP_RECHECK_MS, ROUTE);
  assert.deepEqual(fresh(), ["ssdp search", "GET /rootDesc.xml", "upnp GetExternalIPAddress", "upnp AddPortMapping 41641→41641 7200s meshgate"]);
  assert.equal(status.mapping?.protocol, "upnp");
  assert.equal(gateway.mappings.size, 1);
});

test("another route (a new network) forgets the old mapping and maps at the new gateway", async () => {
  const { gateway, mapper } = setup({ protocols: ["pcp"] });
  await mapper.poll(0, ROUTE);
  const fresh = since(gateway);
  await mapper.poll(MINUTE, { gateway: GATEWAY, localAddress: "192.168.1.3" });
  assert.deepEqual(fresh().map((line) => line.replace(/ nonce \w+/, "")), ["pcp announce", "pcp map 41641→41641 7200s"]);
  const elsewhere = await mapper.poll(2 * MINUTE, { gateway: "10.0.0.1", localAddress: "10.0.0.2" });
  assert.equal(elsewhere.mapping, null, "the fake answers only at 192.168.1.1");
  assert.equal(elsewhere.problem?.code, "unanswered");
});

test("stop() returns each protocol's deletion; sent, they remove the mapping", async () => {
  for (const protocol of ["pcp", "natpmp", "upnp"] as const) {
    const { gateway, mapper } = setup({ protocols: [protocol] });
    await mapper.poll(0, ROUTE);
    assert.equal(gateway.mappings.size, 1);
    const deletions = mapper.stop();
    assert.deepEqual(deletions.map((deletion) => deletion.protocol), [protocol]);
    await sendDeletions(gateway.transports, deletions);
    assert.equal(gateway.mappings.size, 0, `${protocol}: ${gateway.log.at(-1)}`);
    assert.deepEqual(mapper.stop(), [], "once");
    assert.deepEqual(await mapper.poll(HOUR, ROUTE), { mapping: null, problem: { code: "stopped", message: "the port mapper was stopped" }, answered: { upnp: protocol === "upnp", natpmp: protocol === "natpmp", pcp: protocol === "pcp" } });
    assert.equal(mapper.nextDeadline(), null);
  }
  const { gateway, mapper } = setup();
  await mapper.poll(0, ROUTE);
  const deletion = mapper.stop()[0]!;
  assert.ok(deletion.protocol === "pcp" && deletion.gateway === GATEWAY);
  assert.match(gateway.log.at(-1)!, /nonce (\w+)/);
  await sendDeletions(gateway.transports, [deletion]);
  assert.match(gateway.log.at(-1)!, /^pcp map 41641→0 0s nonce \w+$/);
  assert.equal(gateway.log.at(-1)!.split(" nonce ")[1], gateway.log.at(-2)!.split(" nonce ")[1], "deleted with the mapping's nonce");
});

// Transports whose gateway exchanges wait until the test releases them.
function held(transports: PortMapTransports): { transports: PortMapTransports; release(): void; waiting(): number } {
  const queue: (() => void)[] = [];
  return {
    transports: { ...transports, gatewayExchange: (to, request) => new Promise((resolve) => queue.push(() => resolve(transports.gatewayExchange(to, request)))) },
    release: () => queue.splice(0).forEach((run) => run()),
    waiting: () => queue.length,
  };
}

// Resolves once a request waits at the gate; false if none comes within many turns of the
// event loop (the test then fails instead of hanging).
async function requestWaits(gate: ReturnType<typeof held>): Promise<boolean> {
  for (let turn = 0; turn < 1000 && gate.waiting() === 0; turn++) await new Promise((resolve) => setImmediate(resolve));
  return gate.waiting() > 0;
}

test("stop() while a mapping is being asked for: the mapping that lands is deleted", async () => {
  const gateway = createFakeGateway();
  const gate = held(gateway.transports);
  const mapper = createPortMapper({ localPort: PORT, transports: gate.transports, random: createSeededRandom(2), protocols: ["pcp"] });
  const polling = mapper.poll(0, ROUTE);
  assert.ok(await requestWaits(gate), "the announce");
  gate.release();
  assert.ok(await requestWaits(gate), "the MAP request");
  assert.deepEqual(mapper.stop(), [], "nothing held yet");
  gate.release(); // the MAP is granted after stop()
  assert.ok(await requestWaits(gate), "the poll sends the deletion itself");
  gate.release();
  const status = await polling;
  assert.equal(status.mapping, null);
  assert.equal(gateway.mappings.size, 0, gateway.log.join(", "));
});

test("overlapping polls share one run", async () => {
  const { gateway, mapper } = setup();
  const [a, b] = await Promise.all([mapper.poll(0, ROUTE), mapper.poll(0, ROUTE)]);
  assert.equal(a, b);
  assert.equal(gateway.log.filter((line) => line === "pcp announce").length, 1);
});

test("a transport that throws is silence, not a crash", async () => {
  const broken: PortMapTransports = {
    gatewayExchange: () => Promise.reject(new Error("EPERM")),
    ssdpSearch: () => Promise.reject(new Error("ENETUNREACH")),
    upnpHttp: () => Promise.reject(new Error("ECONNREFUSED")),
  };
  const mapper = createPortMapper({ localPort: PORT, transports: broken, random: createSeededRandom(3) });
  assert.equal((await mapper.poll(0, ROUTE)).problem?.code, "unanswered");
});

test("programmer errors throw: a bad port, a route that is not IPv4", async () => {
  const { transports } = createFakeGateway();
  assert.throws(() => createPortMapper({ localPort: 0, transports, random: createSeededRandom(4) }), /local port 0 is not 1\.\.65535/);
  const mapper = createPortMapper({ localPort: PORT, transports, random: createSeededRandom(4) });
  await assert.rejects(mapper.poll(0, { gateway: "fe80::1", localAddress: LOCAL_ADDRESS }), /is not IPv4/);
});
