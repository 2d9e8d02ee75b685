// The port mapper's UPnP transport on node:http: one request to the gateway, answered or not.
// The core already checked that the URL is http on the gateway's address; this checks again at
// the edge, where the socket opens — an IPv4 literal (no DNS) on one of this host's links — so
// no UPnP request ever leaves the LAN. Redirects are not followed (node:http never does),
// the answer's size and the whole exchange's time are bounded, and it never rejects.

import { request as httpRequest } from "node:http";
import type { UpnpHttpRequest, UpnpHttpResponse } from "../nat/portmap/port-mapping.js";
import { isOnLink } from "./gateway.js";

export interface UpnpHttpOptions {
  readonly timeoutMs?: number; // the whole exchange: connect, send, headers and body
  readonly maxResponseBytes?: number;
  // Which addresses requests may go to; default: on one of this host's links. Tests on
  // loopback pass their own.
  readonly allowAddress?: (address: string) => boolean;
}

// A router's answers are small: a device description is 2–20 KB, a SOAP answer under 1 KB.
const HTTP_TIMEOUT_MS = 5000;
const MAX_RESPONSE_BYTES = 128 * 1024;
const MAX_HEADER_BYTES = 8 * 1024;

export function createUpnpHttp(options: UpnpHttpOptions = {}): (request: UpnpHttpRequest) => Promise<UpnpHttpResponse | null> {
  const timeoutMs = options.timeoutMs ?? HTTP_TIMEOUT_MS;
  const maxBytes = options.maxResponseBytes ?? MAX_RESPONSE_BYTES;
  const allowAddress = options.allowAddress ?? ((address: string) => isOnLink(address));
  return (request) =>
    new Promise((resolve) => {
      let url: URL;
      try {
        url = new URL(request.url);
      } catch {
        resolve(null);
        return;
      }
      if (url.protocol !== "http:" || !/^[0-9]{1,3}(\.[0-9]{1,3}){3}$/.test(url.hostname) || !allowAddress(url.hostname)) {
        resolve(null);
        return;
      }
      const body = request.body === undefined ? undefined : Buffer.from(request.body, "utf8");
      let finished = false;
      const finish = (answer: UpnpHttpResponse | null): void => {
        if (finished) return;
        finished = true;
        clearTimeout(deadline);
        outgoing.destroy();
        resolve(answer);
      };
      const outgoing = httpRequest(
        {
          host: url.hostname,
          port: url.port === "" ? 80 : Number(url.port),
          path: `${url.pathname}${url.search}`,
          method: request.method,
          headers: {
            ...request.headers,
            Host: url.host,
            Connection: "close",
            ...(body === undefined ? {} : { "Content-Length": String(body.length) }),
          },
          agent: false,
          maxHeaderSize: MAX_HEADER_BYTES,
        },
        (incoming) => {
          const chunks: Buffer[] = [];
          let size = 0;
          incoming.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBytes) finish(null);
            else chunks.push(chunk);
          });
          incoming.on("end", () => finish({ status: incoming.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
          incoming.on("error", () => finish(null));
          incoming.on("close", () => finish(null)); // closed before its end: cut short
        },
      );
      const deadline = setTimeout(() => finish(null), timeoutMs);
      outgoing.on("error", () => finish(null));
      outgoing.end(body);
    });
}
