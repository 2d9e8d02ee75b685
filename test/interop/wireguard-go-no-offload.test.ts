// The meshgate ↔ wireguard-go scenario (scenario.ts) with MESHGATE_OFFLOAD=off on meshgate's side.

import { describeInterop } from "./scenario.js";

describeInterop("interop: meshgate ↔ wireguard-go, offloads off", "wireguard-go", "h", 79, false);
