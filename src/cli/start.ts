// `meshgate start`: run the appliance with embedded defaults. Today only the crypto core
// exists; it is loaded and self-tested, and every part still to come is named as such, so the
// command tells the truth about what runs.

import { createCryptoCore } from "../dataplane/crypto-core.js";
import { compilePreferredCryptoWasm } from "../dataplane/crypto-wasm.js";
import { selfTestCryptoCore } from "../dataplane/self-test.js";

const NOT_YET = ["mesh coordinator", "control client", "admin page"] as const;

export function runStart(write: (line: string) => void): number {
  const core = createCryptoCore(compilePreferredCryptoWasm());
  selfTestCryptoCore(core);
  const build = core.variant === "release" ? "release build, WebAssembly SIMD" : `${core.variant} build`;
  write(`  crypto core         ok (${build}; RFC 8439 self-test passed)`);
  write("  WireGuard device    ready: meshgate wg up <file.conf> (as root)");
  for (const part of NOT_YET) write(`  ${part.padEnd(18)}  not yet available`);
  write("");
  write("The mesh (coordinator, enrollment, admin page) is still being built; meshgate already");
  write("runs as a drop-in userspace WireGuard: see README.md.");
  write('See README.md ("Status") for what exists today, and "npm run bench:crypto" to measure the core.');
  return 0;
}
