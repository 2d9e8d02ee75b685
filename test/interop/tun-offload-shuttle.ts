// Two real TUNs joined back to back by this process, for tun-offload.test.ts (run inside the
// test's first namespace with `ip netns exec`):
//   node tun-offload-shuttle.js <second-namespace> <on|off>
// It opens both TUNs here (offloads on or off), moves the second into the second namespace
// (the descriptor stays ours), gives them 10.78.0.1/24 + fd78::1/64 and 10.78.0.2/24 +
// fd78::2/64, and copies every packet read from one into the other with src/io/tun.ts's
// batched read and write — the same calls the packet loop makes. It prints "ready" once both
// are up; when its stdin ends it prints the two TUNs' offload figures as one JSON line and exits.

import { execFileSync } from "node:child_process";
import { openTun, type Tun } from "../../src/io/tun.js";

const [otherNamespace, mode] = process.argv.slice(2);
const offload = mode === "on";
const SLOTS = 64;
const STRIDE = 65536 + 64;
const MTU = "1420";

const ip = (...args: string[]): void => void execFileSync("ip", args, { stdio: "inherit" });

const first = openTun("mgoffa", { offload });
const second = openTun("mgoffb", { offload });
ip("link", "set", second.name, "netns", otherNamespace!);
ip("link", "set", first.name, "mtu", MTU);
ip("address", "add", "10.78.0.1/24", "dev", first.name);
ip("address", "add", "fd78::1/64", "dev", first.name, "nodad");
ip("link", "set", first.name, "up");
ip("-n", otherNamespace!, "link", "set", second.name, "mtu", MTU);
ip("-n", otherNamespace!, "address", "add", "10.78.0.2/24", "dev", second.name);
ip("-n", otherNamespace!, "address", "add", "fd78::2/64", "dev", second.name, "nodad");
ip("-n", otherNamespace!, "link", "set", second.name, "up");

function shuttle(from: Tun, to: Tun): void {
  const buffer = new ArrayBuffer(SLOTS * STRIDE);
  const bytes = new Uint8Array(buffer);
  const lengths = new Uint32Array(SLOTS);
  const drain = (): void => {
    for (;;) {
      const count = from.readBatch(buffer, 0, STRIDE, SLOTS, STRIDE, lengths);
      if (count <= 0) break;
      const packets: Uint8Array[] = [];
      for (let i = 0; i < count; i++) packets.push(bytes.subarray(i * STRIDE, i * STRIDE + lengths[i]!));
      to.write(packets);
    }
    if (from.hasPending()) setImmediate(drain);
  };
  from.onReadable(drain);
}

shuttle(first, second);
shuttle(second, first);
process.stdout.write("ready\n");
process.stdin.resume();
process.stdin.on("end", () => {
  const report = (tun: Tun) => ({ offloaded: tun.offloaded, ...tun.stats() });
  process.stdout.write(`${JSON.stringify({ first: report(first), second: report(second) })}\n`);
  first.close();
  second.close();
  process.exit(0);
});
