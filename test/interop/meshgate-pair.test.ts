// meshgate ↔ meshgate, the same checks as against wireguard-go.
import { describeInterop } from "./scenario.js";

describeInterop("interop: meshgate ↔ meshgate", "meshgate", "m", 72);
