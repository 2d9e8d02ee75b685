// The WASM core's status codes (assembly/abi.ts) with names for counters and logs.

import {
  STATUS_AUTH_FAILED,
  STATUS_BAD_KEY_SLOT,
  STATUS_BAD_LENGTH,
  STATUS_BAD_PREFIX,
  STATUS_NO_KEY,
  STATUS_NOT_FOUND,
  STATUS_OK,
  STATUS_OUT_OF_BOUNDS,
  STATUS_TABLE_FULL,
} from "../../assembly/abi.js";

export const CoreStatus = {
  ok: STATUS_OK,
  authFailed: STATUS_AUTH_FAILED,
  badLength: STATUS_BAD_LENGTH,
  outOfBounds: STATUS_OUT_OF_BOUNDS,
  badKeySlot: STATUS_BAD_KEY_SLOT,
  noKey: STATUS_NO_KEY,
  tableFull: STATUS_TABLE_FULL,
  badPrefix: STATUS_BAD_PREFIX,
  notFound: STATUS_NOT_FOUND,
} as const;

export type CoreStatusName = keyof typeof CoreStatus;
export type CoreStatusCode = (typeof CoreStatus)[CoreStatusName];

const namesByCode = new Map<number, CoreStatusName>(
  Object.entries(CoreStatus).map(([name, code]) => [code, name as CoreStatusName]),
);

// "unknown(N)" for a code the core does not define, so a log line never throws.
export function coreStatusName(code: number): string {
  return namesByCode.get(code) ?? `unknown(${code})`;
}
