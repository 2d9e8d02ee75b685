// The power-on self-test passes on every real build and refuses a core that gets the known
// answer wrong, opens wrongly, or accepts a forgery.

import assert from "node:assert/strict";
import { test } from "node:test";
import type { CryptoCore } from "../../src/dataplane/crypto-core.js";
import { CryptoModuleError } from "../../src/dataplane/errors.js";
import { selfTestCryptoCore } from "../../src/dataplane/self-test.js";
import { createAllCryptoCores } from "./crypto-cores.js";

const cores = createAllCryptoCores();

test("every build passes the self-test", () => {
  for (const core of cores) assert.doesNotThrow(() => selfTestCryptoCore(core), core.variant);
});

test("a faulty core fails the self-test", () => {
  const real = cores[0]!;
  const flipFirstByte = (bytes: Uint8Array): Uint8Array => Uint8Array.from(bytes, (b, i) => (i === 0 ? b ^ 1 : b));
  const faults: Partial<CryptoCore>[] = [
    { seal: (...args) => flipFirstByte(real.seal(...args)) },
    { open: (...args) => { const opened = real.open(...args); return opened && flipFirstByte(opened); } },
    { open: (key, nonce, sealed) => real.open(key, nonce, sealed, Uint8Array.from([0x50, 0x51, 0x52, 0x53, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7])) },
  ];
  for (const fault of faults) {
    const faulty: CryptoCore = { ...real, ...fault };
    assert.throws(() => selfTestCryptoCore(faulty), CryptoModuleError);
  }
});
