// One message per call, on the fixed one-shot buffers (layout.ts): the handshake path and the
// known-answer tests. Only lengths cross the boundary; every length is checked here, so a bad
// argument returns a status and never traps or reaches past a buffer.

import { MAX_AAD_BYTES, MAX_MESSAGE_BYTES, STATUS_BAD_LENGTH, STATUS_OK, TAG_BYTES } from "./abi";
import { aeadOpen as aeadOpenAt, aeadSeal as aeadSealAt } from "./aead";
import { hchacha20 as hchacha20At } from "./chacha20";
import { chacha20Xor } from "./keystream";
import { oneShotAad, oneShotData, oneShotKey, oneShotNonce, oneShotOut, polyBlockScratch, subkeyScratch, wipeScratch } from "./layout";
import { POLY_BLOCK_BYTES, POLY_FULL_BLOCK_BIT, polyBlocks, polyFinish, polyInit } from "./poly1305";

function lengthsFit(aadLen: i32, messageLen: i32): bool {
  return aadLen >= 0 && aadLen <= MAX_AAD_BYTES && messageLen >= 0 && messageLen <= MAX_MESSAGE_BYTES;
}

// The 96-bit nonce words of the IETF construction, from oneShotNonce[0..12].
function nonceWord(index: usize): u32 {
  return load<u32>(oneShotNonce + index * 4);
}

// Seals oneShotData[0..messageLen) in place under oneShotKey / oneShotNonce (12 bytes) with
// oneShotAad[0..aadLen); the tag follows at oneShotData[messageLen..+16).
export function aeadSeal(aadLen: i32, messageLen: i32): i32 {
  if (!lengthsFit(aadLen, messageLen)) return STATUS_BAD_LENGTH;
  aeadSealAt(oneShotKey, nonceWord(0), nonceWord(1), nonceWord(2), oneShotAad, aadLen, oneShotData, messageLen, oneShotData + messageLen);
  wipeScratch();
  return STATUS_OK;
}

// Opens oneShotData[0..sealedLen) (ciphertext then tag) in place.
export function aeadOpen(aadLen: i32, sealedLen: i32): i32 {
  if (!lengthsFit(aadLen, sealedLen - TAG_BYTES)) return STATUS_BAD_LENGTH;
  const len = <usize>(sealedLen - TAG_BYTES);
  const status = aeadOpenAt(oneShotKey, nonceWord(0), nonceWord(1), nonceWord(2), oneShotAad, aadLen, oneShotData, len, oneShotData + len);
  wipeScratch();
  return status;
}

// XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha §2.3): subkey = HChaCha20(key, nonce[0..16]),
// then the IETF AEAD with nonce 0^4 ‖ nonce[16..24]. oneShotNonce holds all 24 bytes.
export function xaeadSeal(aadLen: i32, messageLen: i32): i32 {
  if (!lengthsFit(aadLen, messageLen)) return STATUS_BAD_LENGTH;
  hchacha20At(oneShotKey, oneShotNonce, subkeyScratch);
  aeadSealAt(subkeyScratch, 0, nonceWord(4), nonceWord(5), oneShotAad, aadLen, oneShotData, messageLen, oneShotData + messageLen);
  wipeScratch();
  return STATUS_OK;
}

export function xaeadOpen(aadLen: i32, sealedLen: i32): i32 {
  if (!lengthsFit(aadLen, sealedLen - TAG_BYTES)) return STATUS_BAD_LENGTH;
  const len = <usize>(sealedLen - TAG_BYTES);
  hchacha20At(oneShotKey, oneShotNonce, subkeyScratch);
  const status = aeadOpenAt(subkeyScratch, 0, nonceWord(4), nonceWord(5), oneShotAad, aadLen, oneShotData, len, oneShotData + len);
  wipeScratch();
  return status;
}

// Raw ChaCha20 (§2.4): XORs oneShotData[0..len) in place, keystream from block `counter`.
export function chacha20(counter: u32, len: i32): i32 {
  if (len < 0 || len > MAX_MESSAGE_BYTES + TAG_BYTES) return STATUS_BAD_LENGTH;
  chacha20Xor(oneShotKey, counter, nonceWord(0), nonceWord(1), nonceWord(2), oneShotData, oneShotData, len);
  wipeScratch();
  return STATUS_OK;
}

// Raw Poly1305 (§2.5): tag of oneShotData[0..len) under the one-time key in oneShotKey,
// written to oneShotOut[0..16). A final partial block gets the 0x01 byte, then zeroes.
export function poly1305(len: i32): i32 {
  if (len < 0 || len > MAX_MESSAGE_BYTES + TAG_BYTES) return STATUS_BAD_LENGTH;
  polyInit(oneShotKey);
  const whole = <usize>len & ~(POLY_BLOCK_BYTES - 1);
  polyBlocks(oneShotData, whole, POLY_FULL_BLOCK_BIT);
  const rest = <usize>len - whole;
  if (rest > 0) {
    memory.fill(polyBlockScratch, 0, POLY_BLOCK_BYTES);
    memory.copy(polyBlockScratch, oneShotData + whole, rest);
    store<u8>(polyBlockScratch + rest, 1);
    polyBlocks(polyBlockScratch, POLY_BLOCK_BYTES, 0);
  }
  polyFinish(oneShotOut);
  wipeScratch();
  return STATUS_OK;
}

// HChaCha20: subkey of oneShotKey and oneShotNonce[0..16), written to oneShotOut[0..32).
export function hchacha20(): i32 {
  hchacha20At(oneShotKey, oneShotNonce, oneShotOut);
  wipeScratch();
  return STATUS_OK;
}
