// The WASM transport path below the protocol core: replay window (a table of counters, in the
// spirit of the kernel's counter selftest, run through the real decrypt path), padding, keypair
// lifecycle, and descriptors that must never make it trap.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  DROP_AUTH,
  DROP_REPLAY,
  DROP_UNKNOWN_INDEX,
  VERDICT_KEEPALIVE,
  VERDICT_NO_SESSION,
  VERDICT_SEND,
} from "../../assembly/abi.js";
import { createDataplane, type Dataplane } from "../../src/dataplane/dataplane.js";
import { compileCryptoWasm, CRYPTO_WASM_VARIANTS } from "../../src/dataplane/crypto-wasm.js";
import { CryptoModuleError } from "../../src/dataplane/errors.js";
import { ipv4Packet } from "../fakes/ip-packets.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

const WINDOW = 8128n;
const REJECT_AFTER_MESSAGES = 2n ** 64n - 2n ** 13n - 1n;
const random = createSeededRandom(0x7a45);
const sendKey = random.bytes(32);
const receiveKey = random.bytes(32);
const LOCAL_INDEX = 0x01020304;

// A keepalive (empty transport message) sealed under `key` with `counter`.
function keepalive(dataplane: Dataplane, key: Uint8Array, counter: bigint, receiverIndex = LOCAL_INDEX): Uint8Array {
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setBigUint64(4, counter, true);
  const tag = dataplane.crypto.seal(key, nonce, new Uint8Array(0));
  const message = new Uint8Array(16 + tag.length);
  const view = new DataView(message.buffer);
  view.setUint32(0, 4, true);
  view.setUint32(4, receiverIndex, true);
  view.setBigUint64(8, counter, true);
  message.set(tag, 16);
  return message;
}

function decryptOne(dataplane: Dataplane, datagram: Uint8Array): number {
  const t = dataplane.transport;
  t.arena.set(datagram, 0);
  t.describe(0, 0, datagram.length);
  t.decrypt(1);
  return t.verdict(0);
}

for (const variant of CRYPTO_WASM_VARIANTS) {
  describe(`transport (${variant} build)`, () => {
    const compiled = compileCryptoWasm(variant);

    test("replay window: accepts each counter once, within the window, below the limit", () => {
      const dataplane = createDataplane(compiled);
      dataplane.transport.installKeypair(5, { sendKey, receiveKey, localIndex: LOCAL_INDEX, remoteIndex: 9, peer: 0 });
      const table: [bigint, boolean][] = [
        [0n, true], [0n, false], [1n, true], [1n, false], [9n, true], [8n, true], [7n, true], [7n, false],
        [WINDOW + 9n, true], [9n, false], [10n, true], [8n, false], [WINDOW + 10n, true], [WINDOW + 10n, false],
        [2n * WINDOW + 100n, true], [WINDOW + 11n, false], [2n * WINDOW + 99n, true], [2n * WINDOW + 100n, false],
        [WINDOW * 3n, true], [WINDOW * 2n + 101n, true], [WINDOW * 2n + 100n, false],
        [2n ** 63n, true], [2n ** 63n - 1n, true], [2n ** 63n - WINDOW - 1n, false],
        [REJECT_AFTER_MESSAGES, false], [REJECT_AFTER_MESSAGES + 5n, false], [REJECT_AFTER_MESSAGES - 1n, true],
        [REJECT_AFTER_MESSAGES - 1n, false],
      ];
      table.forEach(([counter, accepted], step) => {
        const verdict = decryptOne(dataplane, keepalive(dataplane, receiveKey, counter));
        assert.equal(verdict, accepted ? VERDICT_KEEPALIVE : DROP_REPLAY, `step ${step}: counter ${counter}`);
      });
    });

    test("a forged packet does not move the window; unknown indices and wrong keys are dropped", () => {
      const dataplane = createDataplane(compiled);
      dataplane.transport.installKeypair(0, { sendKey, receiveKey, localIndex: LOCAL_INDEX, remoteIndex: 9, peer: 0 });
      assert.equal(decryptOne(dataplane, keepalive(dataplane, sendKey, 1000n)), DROP_AUTH, "wrong key");
      assert.equal(decryptOne(dataplane, keepalive(dataplane, receiveKey, 1n)), VERDICT_KEEPALIVE, "window did not move to 1000");
      assert.equal(decryptOne(dataplane, keepalive(dataplane, receiveKey, 2n, 0x0badf00d)), DROP_UNKNOWN_INDEX);
    });

    test("keypairs: index collisions refused, revoke zeroes keys and ends sending", () => {
      const { transport } = createDataplane(compiled);
      assert.equal(transport.installKeypair(1, { sendKey, receiveKey, localIndex: 77, remoteIndex: 1, peer: 3 }), true);
      assert.equal(transport.installKeypair(2, { sendKey, receiveKey, localIndex: 77, remoteIndex: 1, peer: 3 }), false);
      assert.throws(() => transport.setPeerKeypair(4, 1), CryptoModuleError, "keypair 1 belongs to peer 3");
      transport.setPeerKeypair(3, 1);
      transport.describe(0, 0, 0, 3);
      transport.encrypt(1);
      assert.equal(transport.verdict(0), VERDICT_SEND);
      transport.revokeKeypair(1);
      assert.ok(transport.keyTable().every((b) => b === 0), "keys zeroed");
      transport.describe(0, 0, 0, 3);
      transport.encrypt(1);
      assert.equal(transport.verdict(0), VERDICT_NO_SESSION);
      assert.equal(transport.installKeypair(2, { sendKey, receiveKey, localIndex: 77, remoteIndex: 1, peer: 3 }), true, "index free again");
    });

    test("padding: to a multiple of 16, never past the MTU", () => {
      const dataplane = createDataplane(compiled);
      const { transport, allowedIps } = dataplane;
      allowedIps.insert({ family: 4, address: Uint8Array.of(10, 0, 0, 2), cidr: 32 }, 0);
      transport.installKeypair(0, { sendKey, receiveKey, localIndex: 1, remoteIndex: 2, peer: 0 });
      transport.setPeerKeypair(0, 0);
      const cases: [mtu: number, length: number, padded: number][] = [
        [1420, 21, 32], [1420, 32, 32], [1420, 1400, 1408], [1420, 1410, 1420], [1420, 1420, 1420], [1420, 1500, 1500],
        [0, 21, 32], [0, 1419, 1424], [100, 99, 100],
      ];
      for (const [mtu, length, padded] of cases) {
        transport.setMtu(mtu);
        transport.arena.set(ipv4Packet("10.0.0.1", "10.0.0.2", new Uint8Array(length - 20)), transport.headerBytes);
        transport.describe(0, 0, length);
        transport.encrypt(1);
        assert.equal(transport.verdict(0), VERDICT_SEND);
        assert.equal(transport.outLength(0), 16 + padded + 16, `mtu ${mtu}, packet ${length}`);
      }
    });

    test("random descriptors never trap and never touch the keys", () => {
      const dataplane = createDataplane(compiled);
      const { transport } = dataplane;
      transport.installKeypair(0, { sendKey, receiveKey, localIndex: LOCAL_INDEX, remoteIndex: 2, peer: 0 });
      transport.setPeerKeypair(0, 0);
      const keys = transport.keyTable().slice();
      const fuzz = createSeededRandom(0xdec0de);
      const interesting = [0, 1, 15, 16, 31, 32, 0xffff, 0x10000, transport.arena.length - 16, transport.arena.length, 0xffff_ffff];
      for (let round = 0; round < 300; round++) {
        const count = fuzz.below(transport.capacity + 1);
        for (let i = 0; i < count; i++) {
          const offset = fuzz.below(2) ? fuzz.pick(interesting) : fuzz.below(transport.arena.length);
          const length = fuzz.below(2) ? fuzz.pick(interesting) : fuzz.below(2000);
          transport.describe(i, offset, length, fuzz.below(3) === 0 ? fuzz.below(2 ** 31) : 0);
        }
        transport.arena.set(fuzz.bytes(4096), fuzz.below(transport.arena.length - 4096));
        transport.encrypt(count);
        transport.decrypt(count);
      }
      assert.deepEqual(transport.keyTable(), keys);
    });
  });
}
