// One WASM instance per component, self-tested before it is trusted with traffic or keys.

import { createDataplane, type Dataplane } from "../dataplane/dataplane.js";
import { compilePreferredCryptoWasm } from "../dataplane/crypto-wasm.js";
import { selfTestCryptoCore } from "../dataplane/self-test.js";

export function checkedDataplane(): Dataplane {
  const dataplane = createDataplane(compilePreferredCryptoWasm());
  selfTestCryptoCore(dataplane.crypto);
  return dataplane;
}
