// WireGuard configuration files: the format wg(8) reads with `setconf`/`addconf` and writes
// with `showconf`, plus the [Interface] fields wg-quick(8) adds (Address, DNS, MTU, Table,
// PreUp/PostUp/PreDown/PostDown, SaveConfig). Pure text in, data out: no file or name lookups.
//
//   config-model.ts   the data model
//   config-fields.ts  the fields of each section and how their values read
//   config-parse.ts   text → model, with ConfigError (config-error.ts) for mistakes
//   config-format.ts  model → canonical text
//   key-base64.ts, endpoint.ts, ip-prefix.ts  the value types

import { emptyInterfaceConfig, type WireGuardConfig } from "./config-model.js";

export { ConfigError } from "./config-error.js";
export { formatWireGuardConfig } from "./config-format.js";
export type { Endpoint, InterfaceConfig, PeerConfig, WireGuardConfig } from "./config-model.js";
export { parseWireGuardConfig } from "./config-parse.js";
export { decodeKey, encodeKey } from "./key-base64.js";

/** Only what `wg setconf` accepts: the wg-quick(8) fields dropped, as `wg-quick strip` does. */
export function stripWgQuickFields(config: WireGuardConfig): WireGuardConfig {
  const { privateKey, listenPort, fwMark } = config.interface;
  const stripped = emptyInterfaceConfig();
  if (privateKey !== undefined) stripped.privateKey = privateKey;
  if (listenPort !== undefined) stripped.listenPort = listenPort;
  if (fwMark !== undefined) stripped.fwMark = fwMark;
  return { interface: stripped, peers: config.peers };
}
