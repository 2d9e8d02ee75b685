// Finding and compiling the WASM crypto core. Three builds come out of asconfig.json:
//   release  SIMD, optimized: the one to run;
//   scalar   optimized without SIMD: for engines without WebAssembly SIMD, and a cross-check;
//   debug    SIMD with assertions and a source map: for tests.

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CryptoModuleError } from "./errors.js";

export type CryptoWasmVariant = "release" | "scalar" | "debug";
export const CRYPTO_WASM_VARIANTS: readonly CryptoWasmVariant[] = ["release", "scalar", "debug"];

export interface CompiledCryptoWasm {
  readonly variant: CryptoWasmVariant;
  readonly module: WebAssembly.Module;
}

// dist/src/dataplane/crypto-wasm.js → dist/wasm/<variant>.wasm
function wasmPath(variant: CryptoWasmVariant): string {
  return fileURLToPath(new URL(`../../wasm/${variant}.wasm`, import.meta.url));
}

function readBuild(variant: CryptoWasmVariant): Uint8Array {
  const path = wasmPath(variant);
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new CryptoModuleError(`WASM core build "${variant}" is missing at ${path}; run "npm run build"`, { cause });
  }
}

// Compiles one named build. Throws CryptoModuleError when the file is missing or this engine
// cannot run it.
export function compileCryptoWasm(variant: CryptoWasmVariant): CompiledCryptoWasm {
  const bytes = readBuild(variant);
  if (!WebAssembly.validate(bytes)) {
    const hint = variant === "scalar" ? "" : ' (it needs WebAssembly SIMD; the "scalar" build does not)';
    throw new CryptoModuleError(`WASM core build "${variant}" does not validate on this engine${hint}`);
  }
  return { variant, module: new WebAssembly.Module(bytes) };
}

// The fastest build this engine can run: release (SIMD) where SIMD validates, else scalar.
export function compilePreferredCryptoWasm(): CompiledCryptoWasm {
  const release = readBuild("release");
  if (WebAssembly.validate(release)) return { variant: "release", module: new WebAssembly.Module(release) };
  return compileCryptoWasm("scalar");
}
