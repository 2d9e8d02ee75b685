// Child process of traffic-repository.test.ts: records a sample of three peers every loop, as
// fast as it can, and prints each sample's time only after its transaction has committed, until
// it is killed.
//
//   node traffic-durability-writer.js <database path>

import { writeSync } from "node:fs";
import { openNodeStore } from "../../src/store/node-store.js";

const [path] = process.argv.slice(2);
if (path === undefined) throw new Error("usage: traffic-durability-writer.js <database path>");

const store = openNodeStore(path);
// Continue after the samples of earlier (killed) runs.
const last = store.trafficSamples(0, Number.MAX_SAFE_INTEGER).at(-1)?.at ?? 0;
const key = (n: number): string => Buffer.alloc(32, n).toString("base64");
for (let at = last + 10_000; at < last + 10_000 * 200_000; at += 10_000) {
  store.insertTrafficSamples(at, [1, 2, 3].map((n) => ({ key: key(n), name: `peer-${n}`, rxBytes: at * n, txBytes: at })));
  writeSync(1, `${at}\n`);
}
store.close();
