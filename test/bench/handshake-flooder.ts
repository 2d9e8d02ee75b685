// A paced flood of handshake initiations, run inside a namespace by bench:handshake-flood and
// the cookie interop tests:
//   node handshake-flooder.js <address> <port> <public-key-base64> <rate> <seconds> [<burst>]
//   → prints {"sent":…,"seconds":…,"rate":…,"cookie_replies":…} (one JSON line) and exits, after
//     <seconds> or at SIGTERM
//
// Each initiation is 148 random bytes with the initiation header and a valid mac1 for the
// target's public key: exactly what an attacker who knows a public key can send. A receiver
// must take it past the mac1 check; its mac2 is random too (not zeros), so under load the mac2
// check cannot be skipped either. A pool of POOL_SIZE distinct messages is made
// once and sent in turn. Pacing: every millisecond or so, send what the rate owes since the
// start (sendmmsg, up to 128 a call), at most MAX_CATCH_UP_MS worth after a stall; with a
// burst B, in whole bursts of B back to back (the same rate on average: a receiver's queue sees
// B arrive at once, which is what fills wireguard-go's handshake queue on any machine). Cookie
// replies coming back are counted (the receiver's under-load answers, seen from outside).

import { randomBytes } from "node:crypto";
import { addMacs, createCookieJar, mac1Key } from "../../src/wireguard/cookie.js";
import { decodeKey } from "../../src/wireguard/key-base64.js";
import { INITIATION_BYTES, MAC_BYTES, MESSAGE_COOKIE_REPLY, MESSAGE_INITIATION } from "../../src/wireguard/messages.js";
import { endpointRecord } from "../../src/io/udp.js";
import { ADDRESS_RECORD_BYTES, loadNativeIo, MAX_NATIVE_BATCH } from "../../src/io/native.js";

const POOL_SIZE = 4096;
const MAX_CATCH_UP_MS = 20;
const RECEIVE_SLOT_BYTES = 256;

const [address, portText, keyText, rateText, secondsText, burstText = "1"] = process.argv.slice(2);
const port = Number(portText);
const rate = Number(rateText);
const seconds = Number(secondsText);
const burst = Number(burstText);
const publicKey = keyText === undefined ? null : decodeKey(keyText);
if (address === undefined || !(port > 0) || publicKey === null || !(rate > 0) || !(seconds > 0) || !Number.isInteger(burst) || burst < 1) {
  process.stderr.write("usage: handshake-flooder.js <address> <port> <public-key-base64> <rate> <seconds> [<burst>]\n");
  process.exit(2);
}

const native = loadNativeIo();
const family = address.includes(":") ? 6 : 4;
const [fd, , handle] = native.udpOpen(family, 0, 0, false);
const key = mac1Key(publicKey);
const pool: Uint8Array[] = [];
for (let i = 0; i < POOL_SIZE; i++) {
  const message = Uint8Array.from(randomBytes(INITIATION_BYTES));
  message.set([MESSAGE_INITIATION, 0, 0, 0]);
  addMacs(message, key, createCookieJar(), 0);
  message.set(randomBytes(MAC_BYTES), INITIATION_BYTES - MAC_BYTES); // mac2: random, not zeros
  pool.push(message);
}
const record = endpointRecord({ host: address, port });
const destinations = new Uint8Array(MAX_NATIVE_BATCH * ADDRESS_RECORD_BYTES);
for (let i = 0; i < MAX_NATIVE_BATCH; i++) destinations.set(record, i * ADDRESS_RECORD_BYTES);

const receiveBuffer = new ArrayBuffer(MAX_NATIVE_BATCH * RECEIVE_SLOT_BYTES);
const receiveBytes = new Uint8Array(receiveBuffer);
const lengths = new Uint32Array(MAX_NATIVE_BATCH);
const sources = new Uint8Array(MAX_NATIVE_BATCH * ADDRESS_RECORD_BYTES);
let cookieReplies = 0;
const countReplies = (): void => {
  for (;;) {
    const received = native.udpRecv(handle, receiveBuffer, 0, RECEIVE_SLOT_BYTES, MAX_NATIVE_BATCH, RECEIVE_SLOT_BYTES, lengths, sources);
    for (let i = 0; i < received; i++) if (receiveBytes[i * RECEIVE_SLOT_BYTES] === MESSAGE_COOKIE_REPLY) cookieReplies++;
    if (received < MAX_NATIVE_BATCH) return;
  }
};

// `scheduled`: initiations the schedule has accounted for so far (sent, or skipped after a
// stall); `handed`: those the kernel took.
let scheduled = 0;
let handed = 0;
let next = 0;
const batch: Uint8Array[] = [];
const started = performance.now();
const durationMs = seconds * 1000;

// SIGTERM ends the flood early, with the report (the interop tests flood until they are done).
let stopping = false;
process.once("SIGTERM", () => (stopping = true));

function tick(): void {
  const elapsed = performance.now() - started;
  const owed = Math.floor(((Math.min(elapsed, durationMs) / 1000) * rate) / burst) * burst - scheduled;
  // After a stall, what could not go out in time is skipped, not sent in one burst.
  let toSend = Math.min(owed, Math.max(burst, Math.ceil((rate * MAX_CATCH_UP_MS) / 1000)));
  scheduled += owed - toSend;
  while (toSend > 0) {
    batch.length = 0;
    for (let i = 0; i < Math.min(toSend, MAX_NATIVE_BATCH); i++) {
      batch.push(pool[next]!);
      next = (next + 1) % POOL_SIZE;
    }
    handed += native.udpSend(fd, batch, destinations, false); // one datagram per message, as before GSO
    scheduled += batch.length;
    toSend -= batch.length;
  }
  countReplies();
  if (elapsed < durationMs && !stopping) setTimeout(tick, 1);
  else finish(elapsed / 1000);
}

function finish(secondsTaken: number): void {
  countReplies();
  native.close(fd);
  const report = { sent: handed, seconds: Number(secondsTaken.toFixed(3)), rate: Math.round(handed / secondsTaken), cookie_replies: cookieReplies };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

tick();
