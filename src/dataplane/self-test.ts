// Power-on self-test of the crypto core: one known answer (RFC 8439 §2.8.2) sealed and opened
// before the core is trusted with traffic, so a damaged or mis-built module is caught at start
// instead of as silent packet loss.

import type { CryptoCore } from "./crypto-core.js";
import { CryptoModuleError } from "./errors.js";

const fromHex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, "hex"));

const KEY = fromHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
const NONCE = fromHex("070000004041424344454647");
const AAD = fromHex("50515253c0c1c2c3c4c5c6c7");
const PLAINTEXT = new TextEncoder().encode(
  "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
);
const TAG_HEX = "1ae10b594f09e26a7e902ecbd0600691";
const CIPHERTEXT_PREFIX_HEX = "d31a8d34648e60db7b86afbc53ef7ec2";

// Throws CryptoModuleError naming what did not match.
export function selfTestCryptoCore(core: CryptoCore): void {
  const sealed = core.seal(KEY, NONCE, PLAINTEXT, AAD);
  const hex = Buffer.from(sealed).toString("hex");
  if (!hex.startsWith(CIPHERTEXT_PREFIX_HEX) || !hex.endsWith(TAG_HEX)) {
    throw new CryptoModuleError(`crypto core (${core.variant}) failed its RFC 8439 §2.8.2 self-test: wrong ciphertext`);
  }
  const opened = core.open(KEY, NONCE, sealed, AAD);
  if (opened === null || !Buffer.from(opened).equals(PLAINTEXT)) {
    throw new CryptoModuleError(`crypto core (${core.variant}) failed its RFC 8439 §2.8.2 self-test: open`);
  }
  if (core.open(KEY, NONCE, sealed, new Uint8Array(0)) !== null) {
    throw new CryptoModuleError(`crypto core (${core.variant}) failed its RFC 8439 §2.8.2 self-test: forgery accepted`);
  }
}
