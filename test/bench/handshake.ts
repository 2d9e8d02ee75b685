// npm run bench:handshake [-- --json] [-- --seconds S]
//
// Complete WireGuard handshakes per second between two Devices in one process — initiation,
// response and the first transport packet (the keepalive that confirms the session) — and
// X25519 operations per second for the native (node:crypto) and portable (@noble/curves)
// implementations, in the same run. --json prints one JSON object as the last stdout line:
// {"handshakes_per_s":…,"x25519_native_ops":…,"x25519_noble_ops":…}.

import { randomBytes } from "node:crypto";
import { createDataplane } from "../../src/dataplane/dataplane.js";
import { compilePreferredCryptoWasm } from "../../src/dataplane/crypto-wasm.js";
import { REJECT_AFTER_TIME_MS, REKEY_TIMEOUT_MS } from "../../src/wireguard/constants.js";
import { createDevice, type Device, type DeviceAction } from "../../src/wireguard/device.js";
import type { Endpoint } from "../../src/net/endpoint.js";
import { parseIpPrefix } from "../../src/net/ip-prefix.js";
import { MESSAGE_INITIATION, MESSAGE_RESPONSE, MESSAGE_TRANSPORT, messageType } from "../../src/wireguard/messages.js";
import { clampPrivateKey, createNobleX25519, createNodeX25519, type X25519 } from "../../src/wireguard/x25519.js";
import { measureRate } from "./measure.js";
import { parseBenchOptions } from "./options.js";


const random = { bytes: (n: number) => Uint8Array.from(randomBytes(n)) };

// The wall clock follows the bench's fake clock: initiations carry TAI64N timestamps, which a
// responder accepts only if they increase.
function makeDevice(x25519: X25519, wallClock: () => number): Device {
  const compiled = compilePreferredCryptoWasm();
  return createDevice({ ...createDataplane(compiled), x25519, random, wallClock }, { privateKey: clampPrivateKey(random.bytes(32)) });
}

function firstSend(actions: DeviceAction[], type: number): Uint8Array {
  const found = actions.filter((action) => action.type === "send" && messageType(action.datagram) === type).at(-1);
  if (found === undefined || found.type !== "send") throw new Error(`expected a message of type ${type}`);
  return found.datagram.slice();
}

// One round: a packet with no session makes `a` initiate; `b` responds; `a` confirms with a
// keepalive that `b` opens. Between rounds the clock jumps past REJECT_AFTER_TIME, so the
// previous session has expired and a new initiation is allowed (the bench measures work, not
// waiting).
function handshakeRunner(x25519: X25519): { round: () => void; verify: () => void } {
  let now = 0;
  const wallClock = (): number => Date.UTC(2026, 0, 1) + now;
  const a = makeDevice(x25519, wallClock);
  const b = makeDevice(x25519, wallClock);
  const endpointA: Endpoint = { host: "192.0.2.1", port: 1 };
  const endpointB: Endpoint = { host: "192.0.2.2", port: 2 };
  a.upsertPeer(0, { publicKey: b.publicKey!, endpoint: endpointB, allowedIps: [parseIpPrefix("10.0.0.2/32")!] });
  b.upsertPeer(0, { publicKey: a.publicKey!, endpoint: endpointA, allowedIps: [parseIpPrefix("10.0.0.1/32")!] });
  const packet = new Uint8Array(20);
  packet[0] = 0x45;
  packet[3] = 20;
  packet.set([10, 0, 0, 1], 12); // from a's address, so b accepts it once the session stands
  packet.set([10, 0, 0, 2], 16);
  const round = (): void => {
    now += REJECT_AFTER_TIME_MS + REKEY_TIMEOUT_MS;
    b.handleTick(now);
    const initiation = firstSend([...a.handleTick(now), ...a.handleTunPacket(now, packet)], MESSAGE_INITIATION);
    const response = firstSend(b.handleDatagram(now, initiation, endpointA), MESSAGE_RESPONSE);
    const confirmation = firstSend(a.handleDatagram(now, response, endpointB), MESSAGE_TRANSPORT);
    b.handleDatagram(now, confirmation, endpointA);
  };
  // Checked once after the measurement, so the timed rounds do only handshake work: b opened
  // the confirming keepalive (it holds a session) and neither side dropped anything.
  const verify = (): void => {
    const drops = { ...a.drops(), ...b.drops() };
    if (b.peers()[0]?.hasSession !== true || Object.keys(drops).length > 0) {
      throw new Error(`the handshakes did not complete cleanly (drops: ${JSON.stringify(drops)})`);
    }
  };
  return { round, verify };
}

function x25519Rate(x25519: X25519, seconds: number): number {
  const privateKey = clampPrivateKey(random.bytes(32));
  const publicKey = x25519.publicKey(clampPrivateKey(random.bytes(32)));
  return measureRate(() => void x25519.sharedSecret(privateKey, publicKey), { seconds, messagesPerCall: 1, bytesPerMessage: 0 }).messagesPerSecond;
}

const options = parseBenchOptions(process.argv.slice(2), 2);
const progress = (line: string): void => void process.stderr.write(`${line}\n`);
progress(`bench:handshake — ${options.seconds} s per measurement, node ${process.version}`);
const native = createNodeX25519();
const runner = handshakeRunner(native);
const handshakes = measureRate(runner.round, { seconds: options.seconds, messagesPerCall: 1, bytesPerMessage: 0 }).messagesPerSecond;
runner.verify();
progress(`  handshakes (native X25519)   ${handshakes.toFixed(0)}/s`);
const nativeOps = x25519Rate(native, options.seconds);
progress(`  X25519 node:crypto           ${nativeOps.toFixed(0)}/s`);
const nobleOps = x25519Rate(createNobleX25519(), options.seconds);
progress(`  X25519 @noble/curves         ${nobleOps.toFixed(0)}/s`);
const result = { handshakes_per_s: Math.round(handshakes), x25519_native_ops: Math.round(nativeOps), x25519_noble_ops: Math.round(nobleOps) };
if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  process.stdout.write(`complete handshakes (initiation + response + first transport packet): ${result.handshakes_per_s}/s\n`);
  process.stdout.write(`X25519 shared secrets: node:crypto ${result.x25519_native_ops}/s, @noble/curves ${result.x25519_noble_ops}/s (${(nativeOps / nobleOps).toFixed(1)}×)\n`);
}
