// The raw exports of the WASM core and the byte views over its buffers. This module and
// assembly/abi.ts are the only places that know where things live in linear memory.

import {
  ALLOWED_IPS_ENTRY_BYTES,
  ALLOWED_IPS_LIST_MAX,
  ARENA_BYTES,
  BATCH_MAX_SLOTS,
  DESCRIPTOR_BYTES,
  KEY_BYTES,
  KEY_SLOT_COUNT,
  KEYPAIR_STAGING_BYTES,
  TRANSPORT_DESCRIPTOR_BYTES,
  MAX_AAD_BYTES,
  MAX_MESSAGE_BYTES,
  TAG_BYTES,
  XNONCE_BYTES,
} from "../../assembly/abi.js";
import { CryptoModuleError } from "./errors.js";

export interface CoreFunctions {
  keySlotSet(slot: number): number;
  keySlotClear(slot: number): number;
  sealBatch(count: number): number;
  openBatch(count: number): number;
  aeadSeal(aadLength: number, messageLength: number): number;
  aeadOpen(aadLength: number, sealedLength: number): number;
  xaeadSeal(aadLength: number, messageLength: number): number;
  xaeadOpen(aadLength: number, sealedLength: number): number;
  chacha20(counter: number, length: number): number;
  poly1305(length: number): number;
  hchacha20(): number;
  allowedIpsInsert(family: number, cidr: number, peer: number): number;
  allowedIpsRemove(family: number, cidr: number): number;
  allowedIpsRemovePeer(peer: number): number;
  allowedIpsLookup(family: number): number;
  allowedIpsList(peer: number, skip: number): number;
  allowedIpsClear(): void;
  keypairInstall(keypair: number, localIndex: number, remoteIndex: number, peer: number): number;
  keypairRevoke(keypair: number): number;
  peerSetKeypair(peer: number, keypair: number): number;
  keypairsReset(): void;
  transportEncrypt(count: number): number;
  transportDecrypt(count: number): number;
  transportSetMtu(mtu: number): number;
}

// Views over the core's buffers, made once: memory never grows, so they never detach.
export interface CoreViews {
  readonly memory: WebAssembly.Memory;
  readonly keyStaging: Uint8Array;
  readonly descriptors: Uint8Array;
  readonly arena: Uint8Array;
  readonly oneShotKey: Uint8Array;
  readonly oneShotNonce: Uint8Array;
  readonly oneShotAad: Uint8Array;
  readonly oneShotData: Uint8Array;
  readonly oneShotOut: Uint8Array;
  readonly allowedIpsAddress: Uint8Array;
  readonly allowedIpsEntries: Uint8Array;
  // Read-only use: diagnostics and tests that check keys are gone.
  readonly keyTable: Uint8Array;
  readonly transportDescriptors: Uint8Array;
  readonly keypairStaging: Uint8Array;
}

export interface CoreInstance {
  readonly functions: CoreFunctions;
  readonly views: CoreViews;
}

const FUNCTION_NAMES: readonly (keyof CoreFunctions)[] = [
  "keySlotSet", "keySlotClear", "sealBatch", "openBatch", "aeadSeal", "aeadOpen",
  "xaeadSeal", "xaeadOpen", "chacha20", "poly1305", "hchacha20",
  "allowedIpsInsert", "allowedIpsRemove", "allowedIpsRemovePeer", "allowedIpsLookup", "allowedIpsList",
  "allowedIpsClear", "keypairInstall", "keypairRevoke", "peerSetKeypair", "keypairsReset",
  "transportEncrypt", "transportDecrypt", "transportSetMtu",
];

// Buffer exports (addresses) and the size each must have room for.
const BUFFER_SIZES = {
  keyStaging: KEY_BYTES,
  descriptors: BATCH_MAX_SLOTS * DESCRIPTOR_BYTES,
  arena: ARENA_BYTES,
  oneShotKey: KEY_BYTES,
  oneShotNonce: XNONCE_BYTES,
  oneShotAad: MAX_AAD_BYTES,
  oneShotData: MAX_MESSAGE_BYTES + TAG_BYTES,
  oneShotOut: 64,
  allowedIpsAddress: 16,
  allowedIpsEntries: ALLOWED_IPS_LIST_MAX * ALLOWED_IPS_ENTRY_BYTES,
  keyTable: KEY_SLOT_COUNT * KEY_BYTES,
  transportDescriptors: BATCH_MAX_SLOTS * TRANSPORT_DESCRIPTOR_BYTES,
  keypairStaging: KEYPAIR_STAGING_BYTES,
} as const;

function stale(what: string): CryptoModuleError {
  return new CryptoModuleError(`WASM core does not match src/dataplane (${what}); rebuild with "npm run build"`);
}

// Instantiates the module (it imports nothing) and checks that every export the bridge relies
// on is there and that the memory cannot grow.
export function instantiateCore(module: WebAssembly.Module): CoreInstance {
  const exports = new WebAssembly.Instance(module, {}).exports;
  const memory = exports["memory"];
  if (!(memory instanceof WebAssembly.Memory)) throw stale("no exported memory");
  // A fixed-size memory cannot grow: growing it would detach every view made below.
  try {
    memory.grow(1);
    throw stale("memory can grow");
  } catch (error) {
    if (error instanceof CryptoModuleError) throw error;
  }
  for (const name of FUNCTION_NAMES) {
    if (typeof exports[name] !== "function") throw stale(`missing function ${name}`);
  }
  const view = (name: keyof typeof BUFFER_SIZES): Uint8Array => {
    const address = exports[name];
    if (!(address instanceof WebAssembly.Global)) throw stale(`missing buffer ${name}`);
    const start = address.value as number;
    const size = BUFFER_SIZES[name];
    if (start + size > memory.buffer.byteLength) throw stale(`buffer ${name} is outside memory`);
    return new Uint8Array(memory.buffer, start, size);
  };
  return {
    functions: exports as unknown as CoreFunctions,
    views: {
      memory,
      keyStaging: view("keyStaging"),
      descriptors: view("descriptors"),
      arena: view("arena"),
      oneShotKey: view("oneShotKey"),
      oneShotNonce: view("oneShotNonce"),
      oneShotAad: view("oneShotAad"),
      oneShotData: view("oneShotData"),
      oneShotOut: view("oneShotOut"),
      allowedIpsAddress: view("allowedIpsAddress"),
      keyTable: view("keyTable"),
      transportDescriptors: view("transportDescriptors"),
      keypairStaging: view("keypairStaging"),
      allowedIpsEntries: view("allowedIpsEntries"),
    },
  };
}
