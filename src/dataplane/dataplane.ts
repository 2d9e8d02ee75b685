// One instance of the WASM core and every face of it: the crypto API (handshake path), the
// transport (keypairs and packet batches) and the AllowedIPs table. They must share one
// instance: the transport reads keys and routes from the same linear memory.

import { createAllowedIps, type AllowedIps } from "./allowed-ips.js";
import { instantiateCore } from "./core-exports.js";
import { bindCryptoCore, type CryptoCore } from "./crypto-core.js";
import type { CompiledCryptoWasm, CryptoWasmVariant } from "./crypto-wasm.js";
import { createTransport, type Transport } from "./transport.js";

export interface Dataplane {
  readonly variant: CryptoWasmVariant;
  readonly crypto: CryptoCore;
  readonly transport: Transport;
  readonly allowedIps: AllowedIps;
}

export function createDataplane(compiled: CompiledCryptoWasm): Dataplane {
  const core = instantiateCore(compiled.module);
  return {
    variant: compiled.variant,
    crypto: bindCryptoCore(core, compiled.variant),
    transport: createTransport(core),
    allowedIps: createAllowedIps(core),
  };
}
