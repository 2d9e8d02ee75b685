// Runs the subnet router (src/router/subnet-router.ts) on its real effects (src/io/nftables.ts,
// src/io/sysctl.ts) inside the router namespace of test/interop/subnet-router-lab.ts, one JSON
// line per command and answer:
//
//   node subnet-router-driver.js MESH_INTERFACE
//   stdin  {"op":"update","routes":"192.168.1.0/24=10.77.1.0/24","exitNode":false,"snat":true}
//   stdout {"ok":true,"log":[…]}  or  {"ok":false,"error":"NftablesError: …","log":[…]}
//   stdin  {"op":"stop"}          stdout the same, then the driver exits
//
// Routes are written as --advertise-routes takes them (src/net/subnet-route.ts); `log` holds
// the lines the router logged while carrying the command out.

import { createInterface } from "node:readline";
import { createRouterEffects } from "../../src/io/router-effects.js";
import { parseAdvertisedRoutes } from "../../src/net/subnet-route.js";
import { createSubnetRouter } from "../../src/router/subnet-router.js";

type Command = { op: "update"; routes: string; exitNode: boolean; snat: boolean } | { op: "stop" };

const log: string[] = [];
const router = createSubnetRouter({ meshInterface: process.argv[2]!, effects: createRouterEffects(), log: (line) => log.push(line) });
const write = (value: object): void => void process.stdout.write(`${JSON.stringify({ ...value, log: log.splice(0) })}\n`);

// One command at a time, in order: the next line waits for the previous answer.
let queue = Promise.resolve();
createInterface({ input: process.stdin }).on("line", (line) => {
  queue = queue.then(async () => {
    const command = JSON.parse(line) as Command;
    try {
      if (command.op === "update") await router.update({ routes: parseAdvertisedRoutes(command.routes), exitNode: command.exitNode, snat: command.snat });
      else await router.stop();
      write({ ok: true });
    } catch (error) {
      write({ ok: false, error: String(error) });
    }
    if (command.op === "stop") process.exit(0);
  });
});
