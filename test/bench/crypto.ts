// npm run bench:crypto [-- --json] [-- --seconds S] [-- --variant release|scalar|debug]
//
// ChaCha20-Poly1305 seal and open throughput, in one run, at 64, 512, 1420 and 8192-byte
// messages, for:
//   wasm_batch   meshgate's WASM core, 64 messages per call, in place in the packet arena
//                (the transport hot path);
//   wasm_single  meshgate's WASM core, one message per call through the one-shot API;
//   node         node:crypto, createCipheriv per packet, as a per-packet user would;
//   sodium       libsodium-wrappers crypto_aead_chacha20poly1305_ietf_encrypt/decrypt;
//   noble        @noble/ciphers chacha20poly1305.
// and, for seal, OpenSSL's own ChaCha20-Poly1305 at full native speed (`openssl speed -evp`,
// its assembly for this CPU, no per-call overhead): the ceiling a native implementation reaches.
// Prints a table with the ratio of wasm_batch to each, per size; with --json prints one JSON
// object (keys read by other tooling, keep them stable; `openssl_native` holds the seal MB/s
// per size) as the last line of stdout.
// Progress goes to stderr. --variant picks the WASM build (default release, the SIMD one).

import { execFileSync } from "node:child_process";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { cpus } from "node:os";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import sodium from "libsodium-wrappers";
import { createCryptoCore, type CryptoCore } from "../../src/dataplane/crypto-core.js";
import { compileCryptoWasm, CRYPTO_WASM_VARIANTS, type CryptoWasmVariant } from "../../src/dataplane/crypto-wasm.js";
import { formatRate, measureRate, type Rate } from "./measure.js";
import { parseBenchOptions, type BenchOptions } from "./options.js";

const SIZES = [64, 512, 1420, 8192] as const;
const BATCH = 64;
const IMPLEMENTATIONS = ["wasm_batch", "wasm_single", "node", "sodium", "noble"] as const;
type Implementation = (typeof IMPLEMENTATIONS)[number];
type Direction = "seal" | "open";
type Runner = () => number | void;



// The WireGuard transport nonce for counter 0: twelve zero bytes.
const NONCE = new Uint8Array(12);

// Sets up the batch path: BATCH messages packed back to back in the arena under key slot 0.
// open() needs authentic ciphertexts each time, so the sealed batch is restored before every
// call, outside the timed part.
function batchRunners(core: CryptoCore, key: Uint8Array, size: number): Record<Direction, Runner> {
  const { batch } = core;
  const stride = (size + 16 + 15) & ~15;
  core.keys.set(0, key);
  const plaintexts = randomBytes(stride * BATCH);
  batch.arena.set(plaintexts, 0);
  for (let i = 0; i < BATCH; i++) batch.describe(i, 0, i, i * stride, size);
  if (batch.seal(BATCH) !== BATCH) throw new Error("batch seal failed");
  const sealed = batch.arena.slice(0, stride * BATCH);
  const describeSealed = (): void => {
    for (let i = 0; i < BATCH; i++) batch.describe(i, 0, i, i * stride, size + 16);
  };
  return {
    seal: () => {
      // Sealing the previous output again is the same work as sealing fresh plaintext.
      batch.seal(BATCH);
    },
    open: () => {
      batch.arena.set(sealed, 0);
      describeSealed();
      const start = process.hrtime.bigint();
      const opened = batch.open(BATCH);
      const elapsed = Number(process.hrtime.bigint() - start);
      if (opened !== BATCH) throw new Error("batch open failed");
      return elapsed;
    },
  };
}

function runnersFor(core: CryptoCore, size: number): Record<Implementation, Record<Direction, Runner>> {
  const key = randomBytes(32);
  const message = randomBytes(size);
  const sealed = Buffer.from(core.seal(key, NONCE, message));
  const check = (opened: Uint8Array | null): void => {
    if (opened === null || opened.length !== size) throw new Error("open failed in benchmark");
  };
  for (let i = 0; i < BATCH; i++) core.batch.describe(i, 0, 0, 0, 0);
  return {
    wasm_batch: batchRunners(core, key, size),
    wasm_single: {
      seal: () => void core.seal(key, NONCE, message),
      open: () => check(core.open(key, NONCE, sealed)),
    },
    node: {
      seal: () => {
        const cipher = createCipheriv("chacha20-poly1305", key, NONCE, { authTagLength: 16 });
        cipher.update(message);
        cipher.final();
        cipher.getAuthTag();
      },
      open: () => {
        const decipher = createDecipheriv("chacha20-poly1305", key, NONCE, { authTagLength: 16 });
        decipher.setAuthTag(sealed.subarray(size));
        check(Buffer.concat([decipher.update(sealed.subarray(0, size)), decipher.final()]));
      },
    },
    sodium: {
      seal: () => void sodium.crypto_aead_chacha20poly1305_ietf_encrypt(message, null, null, NONCE, key),
      open: () => check(sodium.crypto_aead_chacha20poly1305_ietf_decrypt(null, sealed, null, NONCE, key)),
    },
    noble: {
      seal: () => void chacha20poly1305(key, NONCE).encrypt(message),
      open: () => check(chacha20poly1305(key, NONCE).decrypt(sealed)),
    },
  };
}

type Results = Record<Direction, Record<number, Record<Implementation, Rate>>>;

// OpenSSL's native seal throughput at `size` bytes, MB/s, from `openssl speed` in
// machine-readable form ("+F:<n>:ChaCha20-Poly1305:<bytes per second>").
function opensslNativeMbps(size: number, seconds: number): number {
  let output: string;
  try {
    output = execFileSync("openssl", ["speed", "-mr", "-evp", "chacha20-poly1305", "-bytes", String(size), "-seconds", String(Math.max(1, Math.ceil(seconds)))], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
  } catch (error) {
    throw new Error(`openssl speed failed (${error instanceof Error ? error.message : String(error)}): the native baseline needs the openssl tool (apt-get install openssl)`);
  }
  const match = /^\+F:\d+:ChaCha20-Poly1305:([\d.]+)/m.exec(output);
  if (match === null) throw new Error(`openssl speed printed no ChaCha20-Poly1305 figure:\n${output}`);
  return Number(match[1]) / 1e6;
}

function measureAll(core: CryptoCore, options: BenchOptions, progress: (line: string) => void): Results {
  const results: Results = { seal: {}, open: {} };
  for (const size of SIZES) {
    const runners = runnersFor(core, size);
    for (const direction of ["seal", "open"] as const) {
      const row = {} as Record<Implementation, Rate>;
      for (const implementation of IMPLEMENTATIONS) {
        const messagesPerCall = implementation === "wasm_batch" ? BATCH : 1;
        row[implementation] = measureRate(runners[implementation][direction], {
          seconds: options.seconds,
          messagesPerCall,
          bytesPerMessage: size,
        });
        progress(`  ${direction} ${String(size).padStart(4)} B  ${implementation.padEnd(11)} ${formatRate(row[implementation])}`);
      }
      results[direction][size] = row;
    }
  }
  return results;
}

function toJson(results: Results, openssl: Record<number, number>): string {
  const shape = (direction: Direction) =>
    Object.fromEntries(
      SIZES.map((size) => [
        String(size),
        Object.fromEntries(
          IMPLEMENTATIONS.map((implementation) => [
            `${implementation}_mbps`,
            Number(results[direction][size]![implementation].megabytesPerSecond.toFixed(2)),
          ]),
        ),
      ]),
    );
  const native = Object.fromEntries(SIZES.map((size) => [String(size), Number(openssl[size]!.toFixed(2))]));
  return JSON.stringify({ seal: shape("seal"), open: shape("open"), openssl_native: native });
}

function table(results: Results): string[] {
  const lines: string[] = [];
  const others = IMPLEMENTATIONS.filter((implementation) => implementation !== "wasm_batch");
  for (const direction of ["seal", "open"] as const) {
    lines.push("");
    lines.push(
      `${direction.padEnd(6)} size  ${IMPLEMENTATIONS.map((i) => i.padEnd(22)).join("")}` +
        others.map((i) => `batch/${i}`.padEnd(18)).join(""),
    );
    for (const size of SIZES) {
      const row = results[direction][size]!;
      const rates = IMPLEMENTATIONS.map((i) => formatRate(row[i]).padEnd(22)).join("");
      const ratios = others
        .map((i) => `${(row.wasm_batch.megabytesPerSecond / row[i].megabytesPerSecond).toFixed(2)}×`.padEnd(18))
        .join("");
      lines.push(`${" ".repeat(7)}${String(size).padStart(4)}  ${rates}${ratios}`);
    }
  }
  return lines;
}

// Takes "--variant NAME" out of argv (the shared option parser takes numbers only).
function takeVariant(argv: string[]): CryptoWasmVariant {
  const at = argv.indexOf("--variant");
  if (at < 0) return "release";
  const name = argv[at + 1];
  const variant = CRYPTO_WASM_VARIANTS.find((v) => v === name);
  if (variant === undefined) throw new Error(`--variant takes one of ${CRYPTO_WASM_VARIANTS.join(", ")}`);
  argv.splice(at, 2);
  return variant;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const variant = takeVariant(argv);
  const options = parseBenchOptions(argv, 0.5);
  await sodium.ready;
  const core = createCryptoCore(compileCryptoWasm(variant));
  const progress = (line: string): void => void process.stderr.write(`${line}\n`);
  progress(
    `bench:crypto — ChaCha20-Poly1305, ${options.seconds} s per cell; node ${process.version}, ` +
      `V8 ${process.versions.v8}, ${cpus()[0]?.model ?? "unknown CPU"} × ${cpus().length}, WASM ${core.variant} build`,
  );
  const results = measureAll(core, options, progress);
  const openssl: Record<number, number> = {};
  for (const size of SIZES) {
    openssl[size] = opensslNativeMbps(size, options.seconds);
    progress(`  seal ${String(size).padStart(4)} B  openssl speed ${openssl[size]!.toFixed(0)} MB/s`);
  }
  if (options.json) {
    process.stdout.write(`${toJson(results, openssl)}\n`);
    return;
  }
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  out("MB/s (1 MB = 10^6 bytes) and messages/s; batch = WASM batch of 64 messages per call");
  table(results).forEach(out);
  out("");
  out(`seal against OpenSSL native (${execFileSync("openssl", ["version"], { encoding: "utf8" }).trim()}, openssl speed -evp chacha20-poly1305)`);
  for (const size of SIZES) {
    const wasm = results.seal[size]!.wasm_batch.megabytesPerSecond;
    out(`  ${String(size).padStart(4)} B  wasm_batch ${wasm.toFixed(0).padStart(5)} MB/s   openssl ${openssl[size]!.toFixed(0).padStart(5)} MB/s   ${(wasm / openssl[size]!).toFixed(2)}×`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:crypto: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
