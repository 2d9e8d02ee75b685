// UdpSockets against their contract (test/io/udp.contract.ts): the in-memory fake, and the real
// sockets (src/io/udp.ts, the native addon) on this machine's loopback — no root needed, no
// namespace, nothing beyond 127.0.0.1 and ::1. IPv6 needs a ::1: with CI=true, its absence fails.

import { networkInterfaces } from "node:os";
import { openUdp } from "../../src/io/udp.js";
import { MemoryUdpNetwork } from "../fakes/memory-udp.js";
import { capability } from "../requirements.js";
import { describeUdpContract } from "./udp.contract.js";

const loopback = { 4: "127.0.0.1", 6: "::1" } as const;

const memoryLoopback = new MemoryUdpNetwork().host(loopback[4], loopback[6]);
describeUdpContract("in-memory UDP (test/fakes/memory-udp.ts)", { open: (port) => memoryLoopback.openUdp(port), address: (family) => loopback[family] }, { 4: [], 6: [] });

const ipv6Loopback = capability("an IPv6 loopback (::1)", "IPv6 enabled on lo", () =>
  Object.values(networkInterfaces()).some((addresses) => addresses?.some((address) => address.address === "::1")),
);
describeUdpContract("real UDP (src/io/udp.ts) on loopback", { open: (port) => openUdp(port), address: (family) => loopback[family] }, { 4: [], 6: [ipv6Loopback] });
