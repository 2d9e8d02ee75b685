// The TUN offloads (src/io/native/tun.c, offload.c) with the real kernel: two TUNs in two
// namespaces, joined back to back by tun-offload-shuttle.js through src/io/tun.ts, carry TCP
// transfers both ways over IPv4 and IPv6. With offloads on, the kernel hands the shuttle TCP
// super-packets that must be cut into correct segments (TSO) and takes coalesced ones (GRO):
// a wrong sequence number, length or checksum shows as a hash mismatch or a stalled transfer.
// With offloads off, the same transfers and no offload figures. Root only.

import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { describeNeeding } from "../requirements.js";
import { killAndDelete, Namespace, NAMESPACE_NEEDS, PREFIX, run, stopChildren } from "./netns.js";

const SHUTTLE = fileURLToPath(new URL("./tun-offload-shuttle.js", import.meta.url));
const TCP_TRANSFER = fileURLToPath(new URL("./tcp-transfer.js", import.meta.url));
const BYTES = 16 * 1024 * 1024;

interface TunReport {
  readonly offloaded: boolean;
  readonly dropped: number;
  readonly superPackets: number;
  readonly segmentsCut: number;
  readonly coalescedWrites: number;
  readonly coalescedPackets: number;
}

function output(child: ChildProcess): () => string {
  let text = "";
  child.stdout!.on("data", (chunk: Buffer) => (text += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (text += chunk.toString()));
  return () => text;
}

async function until(read: () => string, pattern: RegExp, what: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 200 && !pattern.test(read()); i++) {
    if (child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.match(read(), pattern, `${what}:\n${read()}`);
}

// A transfer from `client` to `server` (namespaces) at `address`: both ends' hashes must agree.
async function transfer(client: Namespace, server: Namespace, address: string, port: number): Promise<void> {
  const listener = spawn("ip", ["netns", "exec", server.name, process.execPath, TCP_TRANSFER, "server", address, String(port)], { stdio: ["ignore", "pipe", "pipe"] });
  const heard = output(listener);
  try {
    await until(heard, /listening/, "the server listens", listener);
    const sent = await client.exec(process.execPath, [TCP_TRANSFER, "client", address, String(port), String(BYTES)], 120_000);
    if (listener.exitCode === null) await once(listener, "exit");
    const received = heard().split("\n").find((line) => / \d+$/.test(line));
    assert.equal(received, sent.stdout.trim(), "what the server received hashes like what the client sent");
    assert.match(received!, new RegExp(` ${BYTES}$`));
  } finally {
    await stopChildren([listener]);
  }
}

for (const mode of ["on", "off"] as const) {
  describeNeeding(NAMESPACE_NEEDS, `two real TUNs back to back, offloads ${mode}`, () => {
    const left = new Namespace(`${PREFIX}of${mode}a`);
    const right = new Namespace(`${PREFIX}of${mode}b`);
    let shuttle: ChildProcess | null = null;
    let shuttleOutput: () => string = () => "";
    const exitHook = (): void => killAndDelete(shuttle === null ? [] : [shuttle], [left, right]);

    before(async () => {
      process.once("exit", exitHook);
      for (const ns of [left, right]) {
        await run("ip", ["netns", "add", ns.name]);
        await ns.exec("ip", ["link", "set", "lo", "up"]);
      }
      shuttle = spawn("ip", ["netns", "exec", left.name, process.execPath, SHUTTLE, right.name, mode], { stdio: ["pipe", "pipe", "pipe"] });
      shuttleOutput = output(shuttle);
      await until(shuttleOutput, /^ready$/m, "the shuttle started", shuttle);
    });

    after(async () => {
      if (shuttle !== null) await stopChildren([shuttle]);
      killAndDelete([], [left, right]);
      process.removeListener("exit", exitHook);
    });

    test("TCP over IPv4 both ways and over IPv6 arrives intact, and the offload figures match the mode", async () => {
      await transfer(left, right, "10.78.0.2", 5301);
      await transfer(right, left, "10.78.0.1", 5302);
      await transfer(left, right, "fd78::2", 5303);
      shuttle!.stdin!.end();
      await until(shuttleOutput, /^\{.*\}$/m, "the shuttle reports", shuttle!);
      const report = JSON.parse(/^\{.*\}$/m.exec(shuttleOutput())![0]) as { first: TunReport; second: TunReport };
      for (const [name, tun] of Object.entries(report)) {
        assert.equal(tun.dropped, 0, `${name}: nothing read was unusable`);
        if (mode === "on") {
          assert.ok(tun.offloaded, `${name}: the kernel granted the offloads`);
          assert.ok(tun.superPackets > 0 && tun.segmentsCut > tun.superPackets, `${name}: super-packets were read and cut: ${JSON.stringify(tun)}`);
          assert.ok(tun.coalescedWrites > 0 && tun.coalescedPackets > tun.coalescedWrites, `${name}: segments were coalesced: ${JSON.stringify(tun)}`);
        } else {
          assert.deepEqual(tun, { offloaded: false, dropped: 0, superPackets: 0, segmentsCut: 0, coalescedWrites: 0, coalescedPackets: 0 });
        }
      }
    });
  });
}
