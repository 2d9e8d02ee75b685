// Never sticky, whatever happened before: four nodes through two minutes of links flapping at
// random, NAT rebindings and traffic starting and stopping (seeded, so a failure replays), then
// a healthy network: every busy pair must be direct within 10 s. The harness also fails the
// run if any node's deadline ever stays in the past after a tick.

import assert from "node:assert/strict";
import { test } from "node:test";
import { createSeededRandom } from "../fakes/seeded-random.js";
import { PathNetwork, type SimNode } from "./path-network.js";

for (const seed of [1, 2, 3]) {
  test(`after two minutes of chaos, every busy pair is direct within 10 s of a healthy network (seed ${seed})`, () => {
    const random = createSeededRandom(seed);
    const net = new PathNetwork(100 + seed);
    const nodes = [
      net.addNode("a"),
      net.addNode("b"),
      net.addNode("c", { nat: { mapping: "eim", filtering: "address-port" } }),
      net.addNode("d", { nat: { mapping: "eim", filtering: "open" } }),
    ];
    const cutPairs = new Set<string>();
    net.cut = (x, y) => cutPairs.has(`${x.name}${y.name}`) || cutPairs.has(`${y.name}${x.name}`);
    net.setRelays({ tcp: true });
    net.netmap();
    const pairs: [SimNode, SimNode][] = nodes.flatMap((x) => nodes.filter((y) => y !== x).map((y) => [x, y] as [SimNode, SimNode]));

    for (let second = 0; second < 120; second++) {
      const [x, y] = random.pick(pairs);
      const roll = random.below(10);
      if (roll < 3) cutPairs.add(`${x.name}${y.name}`);
      else if (roll < 6) cutPairs.delete(`${x.name}${y.name}`);
      else if (roll < 8) net.startTraffic(x, y);
      else if (roll < 9) net.stopTraffic(x, y);
      else if (x.nat !== null) {
        net.rebind(x);
        net.netmap(); // the node's STUN result moved: its candidates in the netmap follow
      }
      net.runFor(1_000);
    }

    assert.ok(nodes.some((n) => n.paths.filter((p) => p.path.kind !== "direct").length > 3), "the chaos moved paths to the relay and back");
    cutPairs.clear();
    for (const [x, y] of pairs) net.startTraffic(x, y);
    const healthyAt = net.now;
    net.runFor(10_000);
    for (const [x, y] of pairs) {
      const path = net.route(x, y);
      assert.equal(path.kind, "direct", `${x.name} → ${y.name} at ${net.now} (healthy since ${healthyAt}): ${x.manager.status(y.publicKey).reason}`);
    }
  });
}
