// Child process of durability.test.ts: commits rows to a coordinator store as fast as it can and
// prints the id of each node only after its transaction has committed, until it is killed.
//
//   node durability-writer.js <database path> <max rows>
//
// Each transaction writes four things (node, route, audit entry, netmap version), so the test
// can see that a kill never leaves half a transaction. stdout is written with writeSync: a line
// that reached the pipe is a promise that the commit before it had returned.

import { writeSync } from "node:fs";
import { openCoordinatorStore } from "../../src/store/coordinator-store.js";

const [path, maxRowsText] = process.argv.slice(2);
if (path === undefined || maxRowsText === undefined) throw new Error("usage: durability-writer.js <database path> <max rows>");
const maxRows = Number(maxRowsText);

const store = openCoordinatorStore(path);
const user = store.users.ensure("durability", 0);
// Continue after the rows of earlier (killed) runs, so names and addresses stay unique.
const start = store.nodes.list().length;
for (let n = start + 1; n <= start + maxRows; n++) {
  const id = store.transaction(() => {
    const node = store.nodes.insert({
      nodeKey: `durability-${n}`, name: `node-${n}`, hostname: `host-${n}`, userId: user.id,
      ipv4: `100.${64 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`, ipv6: `fd7a:115c:a1e0::${n.toString(16)}`,
      keyExpiresAt: null, ephemeral: false, authKeyId: null, endpoints: [`192.0.2.1:${1024 + (n % 60_000)}`], listenPort: 41641, nat: null, relayPort: null, createdAt: n,
    });
    store.routes.set(node.id, `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}/32`, true, true);
    store.audit.append(n, "durability-writer", "node.add", String(node.id));
    store.bumpNetmapVersion();
    return node.id;
  });
  writeSync(1, `${id}\n`);
}
store.close();
