// `meshgate start`: run the appliance with embedded defaults. Today only the crypto core
// exists; it is loaded and self-tested, and every part still to come is named as such, so the
// command tells the truth about what runs.

import { createCryptoCore } from "../dataplane/crypto-core.js";
import { compilePreferredCryptoWasm } from "../dataplane/crypto-wasm.js";
import { selfTestCryptoCore } from "../dataplane/self-test.js";

const NOT_YET = ["WireGuard device", "mesh coordinator", "control client", "admin page"] as const;

export function runStart(write: (line: string) => void): number {
  const core = createCryptoCore(compilePreferredCryptoWasm());
  selfTestCryptoCore(core);
  const build = core.variant === "release" ? "release build, WebAssembly SIMD" : `${core.variant} build`;
  write(`  crypto core         ok (${build}; RFC 8439 self-test passed)`);
  for (const part of NOT_YET) write(`  ${part.padEnd(18)}  not yet available`);
  write("");
  write("Nothing else to run yet: the data plane and the control plane are still being built.");
  write('See README.md ("Status") for what exists today, and "npm run bench:crypto" to measure the core.');
  return 0;
}
