// The interop tests' answering services (whoami.js, peer-address.js) outlive a connection reset
// under them. A route that a test cuts mid-answer leaves such a connection behind; when the
// route comes back, the asker's kernel resets it. Once that ended whoami's server, and every
// later question to that LAN host failed as if its router did not route (subnet-routes, CI).

import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createConnection, createServer, type AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";

const WHOAMI = fileURLToPath(new URL("./whoami.js", import.meta.url));
const PEER_ADDRESS = fileURLToPath(new URL("./peer-address.js", import.meta.url));
const started: ChildProcess[] = [];
after(() => started.forEach((child) => child.kill()));

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, "127.0.0.1");
  await once(probe, "listening");
  const { port } = probe.address() as AddressInfo;
  probe.close();
  return port;
}

async function serve(args: readonly string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
  started.push(child);
  await once(child.stdout!, "data"); // "listening"
  return child;
}

// Connects and resets at once (RST, not FIN): the service meets ECONNRESET on that socket.
const connectAndReset = (port: number): Promise<void> =>
  new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.on("connect", () => {
      socket.resetAndDestroy();
      resolve();
    });
    socket.on("error", () => resolve());
  });

const ask = (port: number): Promise<string> =>
  new Promise((resolve, reject) => {
    let answer = "";
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.setTimeout(3000, () => socket.destroy(new Error("no answer within 3 s")));
    socket.on("data", (chunk: Buffer) => (answer += chunk.toString()));
    socket.on("end", () => resolve(answer.trim()));
    socket.on("error", reject);
  });

for (const [name, args] of [
  ["whoami.js server", (port: number) => [WHOAMI, "server", "127.0.0.1", String(port), "svc"]],
  ["peer-address.js serve", (port: number) => [PEER_ADDRESS, "serve", String(port)]],
] as const) {
  test(`${name} answers on after connections are reset under it`, async () => {
    const port = await freePort();
    const child = await serve(args(port));
    for (let i = 0; i < 50; i++) await connectAndReset(port);
    assert.match(await ask(port), /127\.0\.0\.1$/, "still answering, with the asker's address");
    assert.equal(child.exitCode, null, "still running");
  });
}
