// The in-memory TUN against the Tun contract (the real one: test/interop/tun-contract.test.ts).
// Its system side is the fake's other end: packets are injected as the kernel would route
// them, and what the interface wrote is read back from `written`.

import { createMemoryTun } from "../fakes/memory-tun.js";
import { ipv4UdpPacket, parseIpv4Udp } from "../fakes/ip-packets.js";
import { describeTunContract, DISCARD_PORT } from "./tun.contract.js";

describeTunContract("in-memory TUN (test/fakes/memory-tun.ts)", async () => {
  const tun = createMemoryTun();
  const local = "10.77.0.1";
  const localPort = 40001;
  const peer = "10.77.0.2";
  return {
    tun,
    local,
    localPort,
    peer,
    async sendThrough(payloads) {
      tun.inject(...payloads.map((payload) => ipv4UdpPacket(local, localPort, peer, DISCARD_PORT, payload)));
    },
    async received(count) {
      const payloads = tun.written
        .map(parseIpv4Udp)
        .filter((udp) => udp !== null && udp.destination === local && udp.destinationPort === localPort)
        .map((udp) => udp!.payload);
      if (payloads.length < count) throw new Error(`the system received ${payloads.length} datagram(s), not ${count}`);
      return payloads.slice(0, count);
    },
    async remove() {
      tun.remove();
    },
    async close() {
      tun.close();
    },
  };
});
