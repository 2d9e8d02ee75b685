// meshgate ↔ Debian's wireguard-go, in network namespaces (root; CI installs the tools).
import { describeInterop } from "./scenario.js";

describeInterop("interop: meshgate ↔ wireguard-go", "wireguard-go", "g", 71);
