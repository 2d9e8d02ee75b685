// The netcheck report (src/nat/netcheck.ts) from STUN results, port-mapping results and relay
// round trips: a table of situations and what the report says about each, and the prober's
// results (src/nat/stun-client.ts, on a fake clock) feeding it.

import assert from "node:assert/strict";
import { test } from "node:test";
import { buildNetcheckReport, formatNetcheckReport, type NetcheckReport } from "../../src/nat/netcheck.js";
import { decodeStunMessage, encodeBindingSuccess } from "../../src/nat/stun.js";
import { createStunProber, type StunProbeResult, type StunServerResult } from "../../src/nat/stun-client.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

const v4a = { host: "198.51.100.1", port: 3478 };
const v4b = { host: "198.51.100.1", port: 3479 };
const v4c = { host: "198.51.100.2", port: 3478 };
const v6a = { host: "2001:db8::1", port: 3478 };
const v6b = { host: "2001:db8::1", port: 3479 };

const mapped = (server: { host: string; port: number }, endpoint: string): StunServerResult => {
  const at = endpoint.lastIndexOf(":");
  return { server, state: "mapped", mapped: { host: endpoint.slice(0, at).replace(/^\[|\]$/g, ""), port: Number(endpoint.slice(at + 1)) }, rttMs: 12 };
};
const timeout = (server: { host: string; port: number }): StunServerResult => ({ server, state: "timeout" });
const round = (...servers: StunServerResult[]): StunProbeResult => ({ round: 1, startedAt: 0, completedAt: 50, servers });

test("STUN results → udp, ipv4, ipv6, mappedEndpoint, mappingVariesByDestination", () => {
  const cases: [string, StunProbeResult | null, Pick<NetcheckReport, "udp" | "ipv4" | "ipv6" | "mappedEndpoint" | "mappingVariesByDestination">][] = [
    ["no probe yet", null, { udp: false, ipv4: false, ipv6: false, mappedEndpoint: null, mappingVariesByDestination: null }],
    ["every server silent (UDP blocked)", round(timeout(v4a), timeout(v4b)), { udp: false, ipv4: false, ipv6: false, mappedEndpoint: null, mappingVariesByDestination: null }],
    ["one answer: nothing to compare", round(mapped(v4a, "203.0.113.7:41641"), timeout(v4b)), { udp: true, ipv4: true, ipv6: false, mappedEndpoint: "203.0.113.7:41641", mappingVariesByDestination: null }],
    ["endpoint-independent NAT", round(mapped(v4a, "203.0.113.7:41641"), mapped(v4b, "203.0.113.7:41641")), { udp: true, ipv4: true, ipv6: false, mappedEndpoint: "203.0.113.7:41641", mappingVariesByDestination: false }],
    ["symmetric NAT: the first server's view is the endpoint", round(mapped(v4a, "203.0.113.7:40001"), mapped(v4b, "203.0.113.7:40002")), { udp: true, ipv4: true, ipv6: false, mappedEndpoint: "203.0.113.7:40001", mappingVariesByDestination: true }],
    ["three servers, the third differs", round(mapped(v4a, "203.0.113.7:1"), mapped(v4b, "203.0.113.7:1"), mapped(v4c, "203.0.113.7:2")), { udp: true, ipv4: true, ipv6: false, mappedEndpoint: "203.0.113.7:1", mappingVariesByDestination: true }],
    ["another public address, same port, also varies", round(mapped(v4a, "203.0.113.7:1"), mapped(v4b, "203.0.113.8:1")), { udp: true, ipv4: true, ipv6: false, mappedEndpoint: "203.0.113.7:1", mappingVariesByDestination: true }],
    ["one IPv4 and one IPv6 answer are not compared", round(mapped(v4a, "203.0.113.7:1"), mapped(v6a, "[2001:db8::99]:1")), { udp: true, ipv4: true, ipv6: true, mappedEndpoint: "203.0.113.7:1", mappingVariesByDestination: null }],
    ["IPv6 only: its endpoint, its comparison", round(timeout(v4a), mapped(v6a, "[2001:db8::99]:41641"), mapped(v6b, "[2001:db8::99]:41641")), { udp: true, ipv4: false, ipv6: true, mappedEndpoint: "[2001:db8::99]:41641", mappingVariesByDestination: false }],
    ["IPv4 the same, IPv6 varying: varies", round(mapped(v4a, "203.0.113.7:1"), mapped(v4b, "203.0.113.7:1"), mapped(v6a, "[2001:db8::99]:1"), mapped(v6b, "[2001:db8::99]:2")), { udp: true, ipv4: true, ipv6: true, mappedEndpoint: "203.0.113.7:1", mappingVariesByDestination: true }],
  ];
  for (const [what, stun, expected] of cases) {
    const report = buildNetcheckReport({ stun });
    assert.deepEqual(
      { udp: report.udp, ipv4: report.ipv4, ipv6: report.ipv6, mappedEndpoint: report.mappedEndpoint, mappingVariesByDestination: report.mappingVariesByDestination },
      expected,
      what,
    );
  }
});

test("port mapping and relays pass through; absent, they are null and []", () => {
  const bare = buildNetcheckReport({ stun: null });
  assert.equal(bare.portMapping, null);
  assert.deepEqual(bare.relays, []);
  const full = buildNetcheckReport({
    stun: null,
    portMapping: { upnp: false, natpmp: true, pcp: null },
    relays: [{ url: "http://11.0.0.2:8080", rttMs: 12.5 }, { url: "http://11.0.0.3:8080", rttMs: null }],
  });
  assert.deepEqual(full.portMapping, { upnp: false, natpmp: true, pcp: null });
  assert.deepEqual(full.relays, [{ url: "http://11.0.0.2:8080", rttMs: 12.5 }, { url: "http://11.0.0.3:8080", rttMs: null }]);
});

test("the JSON has exactly the documented fields", () => {
  const report = buildNetcheckReport({ stun: round(mapped(v4a, "203.0.113.7:41641"), mapped(v4b, "203.0.113.7:41641")) });
  assert.deepEqual(JSON.parse(JSON.stringify(report)), {
    udp: true,
    ipv4: true,
    ipv6: false,
    mappedEndpoint: "203.0.113.7:41641",
    mappingVariesByDestination: false,
    portMapping: null,
    relays: [],
  });
});

test("the text for people: aligned lines, and what each finding means", () => {
  const easy = formatNetcheckReport(buildNetcheckReport({
    stun: round(mapped(v4a, "203.0.113.7:41641"), mapped(v4b, "203.0.113.7:41641")),
    portMapping: { upnp: true, natpmp: false, pcp: true },
    relays: [{ url: "http://11.0.0.2:8080", rttMs: 12.4 }, { url: "http://11.0.0.3:8080", rttMs: null }],
  }));
  assert.equal(easy, [
    "UDP              yes",
    "IPv4             yes",
    "IPv6             no",
    "public endpoint  203.0.113.7:41641",
    "mapping varies   no — one public endpoint for every destination: peers can punch through to it",
    "port mapping     UPnP, PCP",
    "relays           http://11.0.0.2:8080  12 ms",
    "                 http://11.0.0.3:8080  no answer",
  ].join("\n"));
  const blocked = formatNetcheckReport(buildNetcheckReport({ stun: round(timeout(v4a), timeout(v4b)), portMapping: { upnp: false, natpmp: false, pcp: null } }));
  assert.match(blocked, /^UDP +no — no STUN server answered: peers will be reached through a relay$/m);
  assert.match(blocked, /^public endpoint +unknown$/m);
  assert.match(blocked, /^mapping varies +unknown/m);
  assert.match(blocked, /^port mapping +none \(UPnP, NAT-PMP tried\)$/m);
  assert.match(blocked, /^relays +none measured$/m);
  const hard = formatNetcheckReport(buildNetcheckReport({ stun: round(mapped(v4a, "203.0.113.7:1"), mapped(v4b, "203.0.113.7:2")) }));
  assert.match(hard, /^mapping varies +yes — the NAT picks a new public port per destination \(symmetric\)/m);
  assert.match(hard, /^port mapping +not checked$/m);
});

test("from the prober: two servers that see different ports → the mapping varies by destination; the same port → it does not", () => {
  const PUBLIC = { host: "203.0.113.7", port: 41641 };
  for (const [portB, varies] of [[50001, true], [PUBLIC.port, false]] as const) {
    const p = createStunProber({ random: createSeededRandom(1) });
    const sent = p.start(0, [v4a, v4b]);
    const answer = (index: number, port: number): Uint8Array => encodeBindingSuccess(decodeStunMessage(sent[index]!.bytes)!.transactionId, { host: PUBLIC.host, port });
    assert.equal(p.handleResponse(10, answer(0, PUBLIC.port), v4a), true);
    assert.equal(p.handleResponse(11, answer(1, portB), v4b), true);
    const report = buildNetcheckReport({ stun: p.result() });
    assert.equal(report.mappingVariesByDestination, varies);
    assert.equal(report.mappedEndpoint, "203.0.113.7:41641");
    assert.equal(report.udp, true);
  }
});
