// The calls a node makes on its coordinator, as JSON inside the encrypted channel
// (control-channel.ts), and the errors the coordinator answers with. Each error has an HTTP
// status, a stable code for programs and a message for people.

import type { NetmapNode, NetmapUpdate } from "./netmap.js";

// The coordinator forgets a session after this long; nodes open a new one a minute before.
export const SESSION_LIFETIME_MS = 10 * 60_000;

export interface NodeReport {
  readonly hostname: string;
  readonly endpoints: readonly string[]; // "ip:port", "[ipv6]:port"
  readonly listenPort: number;
}

export type ControlRequest =
  | ({ readonly op: "enroll"; readonly authKey: string } & NodeReport)
  | { readonly op: "renew"; readonly authKey: string }
  | ({ readonly op: "report" } & NodeReport)
  | { readonly op: "poll"; readonly version: number };

export type ControlResponse =
  | { readonly op: "enroll"; readonly self: NetmapNode }
  | { readonly op: "renew"; readonly keyExpiresAt: number | null }
  | { readonly op: "report" }
  | { readonly op: "poll"; readonly update: NetmapUpdate };

export type ControlErrorCode =
  | "bad_request"
  | "auth_key_invalid"
  | "auth_key_revoked"
  | "auth_key_expired"
  | "auth_key_spent"
  | "node_key_in_use"
  | "not_registered"
  | "key_expired"
  | "address_pool_exhausted"
  | "session_unknown";

export class ControlError extends Error {
  override readonly name = "ControlError";
  constructor(
    readonly status: 400 | 401 | 403 | 409 | 413 | 503,
    readonly code: ControlErrorCode,
    message: string,
  ) {
    super(message);
  }

  toJSON(): { error: ControlErrorCode; message: string } {
    return { error: this.code, message: this.message };
  }
}

const MAX_ENDPOINTS = 32;
const MAX_HOSTNAME = 253;

function isReport(value: Record<string, unknown>): boolean {
  return (
    typeof value["hostname"] === "string" &&
    value["hostname"].length <= MAX_HOSTNAME &&
    Array.isArray(value["endpoints"]) &&
    value["endpoints"].length <= MAX_ENDPOINTS &&
    value["endpoints"].every((endpoint) => typeof endpoint === "string" && endpoint.length <= 64) &&
    Number.isInteger(value["listenPort"]) &&
    (value["listenPort"] as number) >= 0 &&
    (value["listenPort"] as number) <= 65535
  );
}

// Validates a decrypted request; throws ControlError(400) naming what is wrong.
export function parseControlRequest(text: string): ControlRequest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ControlError(400, "bad_request", "the request is not JSON");
  }
  if (typeof value !== "object" || value === null) throw new ControlError(400, "bad_request", "the request must be an object");
  const request = value as Record<string, unknown>;
  switch (request["op"]) {
    case "enroll":
      if (typeof request["authKey"] !== "string" || !isReport(request)) {
        throw new ControlError(400, "bad_request", "enroll needs authKey, hostname, endpoints (at most 32) and listenPort");
      }
      return request as ControlRequest;
    case "renew":
      if (typeof request["authKey"] !== "string") throw new ControlError(400, "bad_request", "renew needs authKey");
      return request as ControlRequest;
    case "report":
      if (!isReport(request)) throw new ControlError(400, "bad_request", "report needs hostname, endpoints (at most 32) and listenPort");
      return request as ControlRequest;
    case "poll":
      if (!Number.isSafeInteger(request["version"]) || (request["version"] as number) < 0) {
        throw new ControlError(400, "bad_request", "poll needs a version (a non-negative integer)");
      }
      return request as ControlRequest;
    default:
      throw new ControlError(400, "bad_request", `unknown op ${JSON.stringify(request["op"])} (enroll, renew, report, poll)`);
  }
}
