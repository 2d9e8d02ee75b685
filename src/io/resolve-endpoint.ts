// Turns a configured Endpoint (IP literal or DNS name) into one the device can send to: names
// are resolved once, at configuration time, as wg(8) does.

import { lookup } from "node:dns/promises";
import type { Endpoint } from "../net/endpoint.js";
import { parseIpAddress } from "../net/ip-prefix.js";

export async function resolveEndpoint(endpoint: Endpoint): Promise<Endpoint> {
  if (parseIpAddress(endpoint.host) !== null) return endpoint;
  try {
    const { address } = await lookup(endpoint.host);
    return { host: address, port: endpoint.port };
  } catch (cause) {
    throw new Error(`cannot resolve endpoint host "${endpoint.host}"`, { cause });
  }
}
