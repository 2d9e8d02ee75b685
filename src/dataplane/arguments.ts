// Argument checks shared by the dataplane's public functions. They guard against programmer
// errors (wrong key length, a float where an index belongs), so they throw with a message
// that names the argument and what it should be.

import { CryptoArgumentError } from "./errors.js";

export function requireByteLength(name: string, bytes: Uint8Array, expected: number): void {
  if (!(bytes instanceof Uint8Array)) throw new CryptoArgumentError(`${name} must be a Uint8Array`);
  if (bytes.length !== expected) {
    throw new CryptoArgumentError(`${name} must be ${expected} bytes, got ${bytes.length}`);
  }
}

export function requireMaxLength(name: string, bytes: Uint8Array, max: number): void {
  if (!(bytes instanceof Uint8Array)) throw new CryptoArgumentError(`${name} must be a Uint8Array`);
  if (bytes.length > max) throw new CryptoArgumentError(`${name} must be at most ${max} bytes, got ${bytes.length}`);
}

export function requireIntegerIn(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new CryptoArgumentError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
}

export const U32_MAX = 0xffff_ffff;
