// npm run bench:handshake [-- --json] [-- --seconds S]
//
// Complete WireGuard handshakes per second between two Devices in one process — initiation,
// response and the first transport packet (the keepalive that confirms the session) — and
// X25519 operations per second for the native (node:crypto) and portable (@noble/curves)
// implementations, in the same run. --json prints one JSON object as the last stdout line:
// {"handshakes_per_s":…,"us_per_handshake":…,"x25519_shared_secret_us_per_handshake":…,
// "x25519_ephemeral_us_per_handshake":…,"other_us_per_handshake":…,"x25519_native_ops":…,
// "x25519_noble_ops":…}; the per-part figures come from a second, timed pass.

import { createSystemRandom } from "../../src/io/system-random.js";
import { createDataplane } from "../../src/dataplane/dataplane.js";
import { compilePreferredCryptoWasm } from "../../src/dataplane/crypto-wasm.js";
import { KEEPALIVE_TIMEOUT_MS, REJECT_AFTER_TIME_MS, REKEY_TIMEOUT_MS } from "../../src/wireguard/constants.js";
import { createDevice, type Device, type DeviceAction } from "../../src/wireguard/device.js";
import type { Endpoint } from "../../src/net/endpoint.js";
import { parseIpPrefix } from "../../src/net/ip-prefix.js";
import { MESSAGE_INITIATION, MESSAGE_RESPONSE, MESSAGE_TRANSPORT, messageType } from "../../src/wireguard/messages.js";
import { clampPrivateKey, createNobleX25519, createNodeX25519, type X25519 } from "../../src/wireguard/x25519.js";
import { measureRate } from "./measure.js";
import { parseBenchOptions } from "./options.js";


// The daemon's random source (pooled getrandom): handshakes draw indices and timer jitter from
// it several times each, and one system call per draw would be measured as handshake work.
const random = createSystemRandom();

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

// One round: a packet with no session makes `a` initiate; `b` responds; `a` confirms with the
// staged packet, which `b` opens; `b` sends its passive keepalive. Between rounds the clock
// jumps past REJECT_AFTER_TIME, so the previous session has expired and a new initiation is
// allowed (the bench measures work, not waiting).
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
    // The confirmation carried a's staged packet, so b owes a passive keepalive
    // KEEPALIVE_TIMEOUT later, on the live session (whitepaper §6.5). Left to the next round's
    // tick, it would come due after the session expired, and b would start a handshake of its
    // own that nobody answers: an ephemeral, a DH and three KDFs of extra work per round.
    const keepalive = firstSend(b.handleTick(now + KEEPALIVE_TIMEOUT_MS), MESSAGE_TRANSPORT);
    a.handleDatagram(now + KEEPALIVE_TIMEOUT_MS, keepalive, endpointB);
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

// The same X25519 with its calls timed, for the breakdown pass (kept out of the headline
// measurement: two clock reads per call).
interface X25519Time {
  sharedSecretNs: number;
  sharedSecrets: number;
  ephemeralNs: number;
  ephemerals: number;
}

function timedX25519(inner: X25519): { x25519: X25519; time: X25519Time } {
  const time: X25519Time = { sharedSecretNs: 0, sharedSecrets: 0, ephemeralNs: 0, ephemerals: 0 };
  const x25519: X25519 = {
    ...inner,
    sharedSecret(privateKey, publicKey) {
      const start = process.hrtime.bigint();
      const secret = inner.sharedSecret(privateKey, publicKey);
      time.sharedSecretNs += Number(process.hrtime.bigint() - start);
      time.sharedSecrets++;
      return secret;
    },
    generateEphemeral(source) {
      const start = process.hrtime.bigint();
      const ephemeral = inner.generateEphemeral(source);
      time.ephemeralNs += Number(process.hrtime.bigint() - start);
      time.ephemerals++;
      return ephemeral;
    },
  };
  return { x25519, time };
}

// Where a handshake's time goes: X25519 shared secrets (public key import included) and
// ephemeral generation, per handshake, and everything else (HASH/HMAC/KDF, the handshake AEAD,
// MACs, the device's bookkeeping and the transport packet).
function handshakeBreakdown(inner: X25519, seconds: number): { us: number; sharedSecretUs: number; sharedSecrets: number; ephemeralUs: number; ephemerals: number } {
  const { x25519, time } = timedX25519(inner);
  const runner = handshakeRunner(x25519);
  let rounds = 0;
  let totalNs = 0;
  const warmupEnd = performance.now() + 200;
  while (performance.now() < warmupEnd) runner.round();
  Object.assign(time, { sharedSecretNs: 0, sharedSecrets: 0, ephemeralNs: 0, ephemerals: 0 });
  while (totalNs < seconds * 1e9) {
    const start = process.hrtime.bigint();
    runner.round();
    totalNs += Number(process.hrtime.bigint() - start);
    rounds++;
  }
  runner.verify();
  return {
    us: totalNs / rounds / 1e3,
    sharedSecretUs: time.sharedSecretNs / rounds / 1e3,
    sharedSecrets: time.sharedSecrets / rounds,
    ephemeralUs: time.ephemeralNs / rounds / 1e3,
    ephemerals: time.ephemerals / rounds,
  };
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
const parts = handshakeBreakdown(native, options.seconds);
const restUs = parts.us - parts.sharedSecretUs - parts.ephemeralUs;
progress(
  `  per handshake (timed pass)   ${parts.us.toFixed(0)} µs: ${parts.sharedSecrets}× X25519 shared secret ${parts.sharedSecretUs.toFixed(0)} µs, ` +
    `${parts.ephemerals}× ephemeral ${parts.ephemeralUs.toFixed(0)} µs, the rest ${restUs.toFixed(0)} µs`,
);
const nativeOps = x25519Rate(native, options.seconds);
progress(`  X25519 node:crypto           ${nativeOps.toFixed(0)}/s`);
const nobleOps = x25519Rate(createNobleX25519(), options.seconds);
progress(`  X25519 @noble/curves         ${nobleOps.toFixed(0)}/s`);
const result = {
  handshakes_per_s: Math.round(handshakes),
  us_per_handshake: Math.round(1e6 / handshakes),
  x25519_shared_secret_us_per_handshake: Math.round(parts.sharedSecretUs),
  x25519_ephemeral_us_per_handshake: Math.round(parts.ephemeralUs),
  other_us_per_handshake: Math.round(restUs),
  x25519_native_ops: Math.round(nativeOps),
  x25519_noble_ops: Math.round(nobleOps),
};
if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
else {
  process.stdout.write(`complete handshakes (initiation + response + first transport packet): ${result.handshakes_per_s}/s (${result.us_per_handshake} µs each)\n`);
  process.stdout.write(
    `per handshake: X25519 shared secrets ${result.x25519_shared_secret_us_per_handshake} µs, ephemerals ${result.x25519_ephemeral_us_per_handshake} µs, ` +
      `the rest ${result.other_us_per_handshake} µs (timed pass)\n`,
  );
  process.stdout.write(`X25519 shared secrets: node:crypto ${result.x25519_native_ops}/s, @noble/curves ${result.x25519_noble_ops}/s (${(nativeOps / nobleOps).toFixed(1)}×)\n`);
}
