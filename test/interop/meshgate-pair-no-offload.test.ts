// The meshgate ↔ meshgate scenario (scenario.ts) with MESHGATE_OFFLOAD=off on both sides: the
// plain TUN and one-datagram-per-message UDP paths stay exact.

import { describeInterop } from "./scenario.js";

describeInterop("interop: meshgate ↔ meshgate, offloads off", "meshgate", "n", 77, false);
