// Which address a request comes from, for the login rate limit: the connecting socket's, as
// @hono/node-server hands it to the app (c.env.incoming.socket). Never X-Forwarded-For or any
// other header: on a LAN page with no proxy in front, anyone can write those and would get a
// fresh allowance per guess. Without a socket (a request not made through the Node server)
// every such request shares one allowance, "unknown".

import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";

export type SourceAddressOf = (c: Context) => string;

export const UNKNOWN_SOURCE = "unknown";

export const socketAddress: SourceAddressOf = (c) => {
  try {
    return getConnInfo(c).remote.address ?? UNKNOWN_SOURCE;
  } catch {
    return UNKNOWN_SOURCE; // no Node request in c.env
  }
};
