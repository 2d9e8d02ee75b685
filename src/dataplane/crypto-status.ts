// The WASM core's status codes (assembly/abi.ts) with names for counters and logs.

import {
  STATUS_AUTH_FAILED,
  STATUS_BAD_KEY_SLOT,
  STATUS_BAD_LENGTH,
  STATUS_NO_KEY,
  STATUS_OK,
  STATUS_OUT_OF_BOUNDS,
} from "../../assembly/abi.js";

export const CryptoStatus = {
  ok: STATUS_OK,
  authFailed: STATUS_AUTH_FAILED,
  badLength: STATUS_BAD_LENGTH,
  outOfBounds: STATUS_OUT_OF_BOUNDS,
  badKeySlot: STATUS_BAD_KEY_SLOT,
  noKey: STATUS_NO_KEY,
} as const;

export type CryptoStatusName = keyof typeof CryptoStatus;
export type CryptoStatusCode = (typeof CryptoStatus)[CryptoStatusName];

const namesByCode = new Map<number, CryptoStatusName>(
  Object.entries(CryptoStatus).map(([name, code]) => [code, name as CryptoStatusName]),
);

// "unknown(N)" for a code the core does not define, so a log line never throws.
export function cryptoStatusName(code: number): string {
  return namesByCode.get(code) ?? `unknown(${code})`;
}
