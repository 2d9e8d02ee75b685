// The real TUN (src/io/tun.ts, the native addon) against the Tun contract. Not a test file of
// its own: tun-contract.test.ts runs it with `ip netns exec` inside a namespace it made, so
// the interfaces, addresses and routes made here exist only there. The namespace is "the
// system": a UDP socket on the interface's address, the peer address routed through it.

import { execFileSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { writeFileSync } from "node:fs";
import { openTun } from "../../src/io/tun.js";
import { describeTunContract, DISCARD_PORT } from "../io/tun.contract.js";

const LOCAL = "10.77.0.1";
const PEER = "10.77.0.2";
let opened = 0;

describeTunContract("real TUN (src/io/tun.ts, in a network namespace)", async () => {
  // No IPv6 on new links, so the kernel sends nothing of its own (router solicitations, MLD)
  // into the interface while a test reads it. /proc/sys/net is this namespace's.
  writeFileSync("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
  const tun = openTun(`mgtun${opened++}`);
  execFileSync("ip", ["address", "add", `${LOCAL}/24`, "dev", tun.name]);
  execFileSync("ip", ["link", "set", tun.name, "up"]);
  const socket = createSocket("udp4");
  const received: Uint8Array[] = [];
  const waiters: (() => void)[] = [];
  socket.on("message", (message) => {
    received.push(Uint8Array.from(message));
    for (const wake of waiters.splice(0)) wake();
  });
  await new Promise<void>((resolve) => socket.bind(0, LOCAL, resolve));
  return {
    tun,
    local: LOCAL,
    localPort: socket.address().port,
    peer: PEER,
    async sendThrough(payloads) {
      for (const payload of payloads) await new Promise<void>((resolve, reject) => socket.send(payload, DISCARD_PORT, PEER, (error) => (error ? reject(error) : resolve())));
    },
    async received(count) {
      while (received.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
      return received.slice(0, count);
    },
    async remove() {
      execFileSync("ip", ["link", "delete", tun.name]);
    },
    async close() {
      socket.close();
      tun.close(); // the interface goes with its descriptor (not persistent)
    },
  };
});
