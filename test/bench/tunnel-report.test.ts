// The tunnel benchmark's arithmetic and output shape (no namespaces, no timing asserted):
// CPU-seconds per Gbit, the --json keys (the old ones kept, the new ones present), and the
// ratios it prints against each wireguard-go baseline.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { PathResult } from "./tunnel-measure.js";
import { cpuSecondsPerGbit, formatReport, jsonSummary, type TunnelBench } from "./tunnel-report.js";

function path(name: string, gbps1: number, cores: number[], pps = 1000): PathResult {
  return { name, gbps1, gbps4: 2 * gbps1, rttMs: 1 / gbps1, cores, udp: { receivedPps: pps, lossPercent: 10 } };
}

const bench: TunnelBench = {
  seconds: 3,
  udpSeconds: 3,
  versions: { bookworm: "0.0.20220316", trixie: "0.0.20230223", trixiePackage: "0.0.20231211-1+b9" },
  veth: path("veth", 10, [], 100_000),
  wggo: path("wg bookworm", 0.5, [0.5, 0.5], 40_000),
  wggoModern: path("wg trixie", 2, [0.75, 0.75], 50_000),
  mixed: path("mixed", 0.4, [0.4, 0.4]),
  meshgate: path("meshgate", 1, [0.5, 0.25], 25_000),
};

describe("cpuSecondsPerGbit", () => {
  const cases: [string, PathResult, number | null][] = [
    ["both ends summed, over Gbit/s", path("a", 0.5, [0.5, 0.5]), 2],
    ["one busy end", path("b", 2, [1, 0]), 0.5],
    ["no WireGuard process (veth)", path("veth", 10, []), null],
    ["nothing carried", path("dead", 0, [0.1, 0.1]), null],
  ];
  for (const [title, result, expected] of cases) test(title, () => assert.equal(cpuSecondsPerGbit(result), expected));
});

describe("jsonSummary", () => {
  const json = jsonSummary(bench);

  test("keeps the keys the bench printed before the trixie baseline", () => {
    for (const key of ["veth_gbps", "wggo_gbps", "meshgate_wggo_gbps", "meshgate_gbps", "veth_rtt_ms", "wggo_rtt_ms", "meshgate_rtt_ms"]) {
      assert.equal(typeof json[key], "number", key);
    }
    assert.equal(json.wggo_gbps, 0.5);
    assert.equal(json.meshgate_rtt_ms, 1);
  });

  test("adds trixie's figures, packets/s, CPU per Gbit and the versions", () => {
    assert.equal(json.wggo_modern_gbps, 2);
    assert.equal(json.wggo_modern_gbps4, 4);
    assert.equal(json.wggo_modern_rtt_ms, 0.5);
    assert.deepEqual([json.wggo_pps, json.wggo_modern_pps, json.meshgate_pps], [40_000, 50_000, 25_000]);
    assert.equal(json.meshgate_cpu_s_per_gbit, 0.75);
    assert.equal("veth_cpu_s_per_gbit" in json, false);
    assert.deepEqual([json.wggo_version, json.wggo_modern_version, json.wggo_modern_package], ["0.0.20220316", "0.0.20230223", "0.0.20231211-1+b9"]);
  });
});

describe("formatReport", () => {
  const lines = formatReport(bench);

  test("prints both wireguard-go versions", () => {
    assert.ok(lines.some((line) => line.includes("v0.0.20220316")));
    assert.ok(lines.some((line) => line.includes("0.0.20231211-1+b9") && line.includes("v0.0.20230223")));
  });

  test("has a row per path with its packets/s and CPU per Gbit", () => {
    const row = lines.find((line) => line.startsWith("meshgate "));
    assert.ok(row !== undefined);
    assert.match(row, /25000 pps/);
    assert.match(row, /0\.75$/);
  });

  test("ratios meshgate ↔ meshgate to each baseline", () => {
    assert.ok(lines.includes("meshgate / wg bookworm: 2.00× (1 stream), 2.00× (4 streams), RTT 0.50×, UDP pps 0.63×, CPU per Gbit 0.38×"));
    assert.ok(lines.includes("meshgate / wg trixie: 0.50× (1 stream), 0.50× (4 streams), RTT 2.00×, UDP pps 0.50×, CPU per Gbit 1.00×"));
  });
});
