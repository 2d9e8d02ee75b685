// The calls a node makes on its coordinator, as JSON inside the encrypted channel
// (control-channel.ts), and the errors the coordinator answers with. Each error has an HTTP
// status, a stable code for programs and a message for people.

import type { NetmapNode, NetmapUpdate } from "./netmap.js";
import { EXIT_ROUTES, MAX_ADVERTISED_ROUTES } from "../net/subnet-route.js";

// The coordinator forgets a session after this long; nodes open a new one a minute before.
export const SESSION_LIFETIME_MS = 10 * 60_000;

// What a node learned of its network (netcheck): peers read it to explain a path, the
// coordinator never acts on it. null fields: not known (yet).
export interface NatFacts {
  readonly udp: boolean | null; // did any STUN answer come back
  readonly mappingVariesByDestination: boolean | null; // the NAT picks a port per destination
  readonly portMapping: "pcp" | "natpmp" | "upnp" | null; // the router granted a mapping this way
}

export interface NodeReport {
  readonly hostname: string;
  // Where peers may reach this node's WireGuard port, most preferred first: a port-mapped
  // endpoint, STUN-mapped endpoints, local addresses ("ip:port", "[ipv6]:port").
  readonly endpoints: readonly string[];
  readonly listenPort: number;
  // Optional: nodes from before NAT traversal send neither.
  readonly nat?: NatFacts | null;
  readonly relayPort?: number | null; // the UDP peer relay this node offers (--relay-port)
  // Subnet routes it offers (mesh-facing prefixes, src/net/subnet-route.ts), and "0.0.0.0/0" +
  // "::/0" when it offers to be an exit node. Absent: none (nodes from before subnet routing).
  readonly routes?: readonly string[];
}

// Where the coordinator offers STUN (on the host nodes reach it at) and whether its TCP relay
// runs (GET /relay/v1 on the control URL): told with every report answer, so a node learns a
// change at its next (re)connection.
export interface CoordinatorServices {
  readonly stunPorts: readonly number[];
  readonly relay: boolean;
}

// A device without meshgate the node hosts (a phone with the stock WireGuard app): the node
// generated its key pair and keeps no private key; the coordinator gives it mesh addresses.
export interface HostedDevice {
  readonly name: string;
  readonly publicKey: string; // base64
  readonly ipv4: string;
  readonly ipv6: string;
}

export type ControlRequest =
  | ({ readonly op: "enroll"; readonly authKey: string } & NodeReport)
  | { readonly op: "renew"; readonly authKey: string }
  | ({ readonly op: "report" } & NodeReport)
  | { readonly op: "poll"; readonly version: number }
  | { readonly op: "device-add"; readonly name: string; readonly publicKey: string }
  | { readonly op: "device-remove"; readonly publicKey: string };

export type ControlResponse =
  | { readonly op: "enroll"; readonly self: NetmapNode }
  | { readonly op: "renew"; readonly keyExpiresAt: number | null }
  | { readonly op: "report"; readonly services?: CoordinatorServices }
  | { readonly op: "poll"; readonly update: NetmapUpdate }
  | { readonly op: "device-add"; readonly device: HostedDevice }
  | { readonly op: "device-remove" };

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
  | "device_refused"
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
const MAX_ROUTES = MAX_ADVERTISED_ROUTES + EXIT_ROUTES.length;
const MAX_HOSTNAME = 253;

const isFlag = (value: unknown): boolean => value === null || typeof value === "boolean";

function isNatFacts(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value !== "object" || Array.isArray(value)) return false;
  const facts = value as Record<string, unknown>;
  return (
    isFlag(facts["udp"]) &&
    isFlag(facts["mappingVariesByDestination"]) &&
    (facts["portMapping"] === null || facts["portMapping"] === "pcp" || facts["portMapping"] === "natpmp" || facts["portMapping"] === "upnp")
  );
}

const isKeyText = (value: unknown): boolean => typeof value === "string" && /^[A-Za-z0-9+/]{43}=$/.test(value);

const isPort = (value: unknown): boolean => Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 65535;

function isReport(value: Record<string, unknown>): boolean {
  return (
    isNatFacts(value["nat"]) &&
    (value["relayPort"] === undefined || value["relayPort"] === null || isPort(value["relayPort"])) &&
    (value["routes"] === undefined ||
      (Array.isArray(value["routes"]) && value["routes"].length <= MAX_ROUTES && value["routes"].every((route) => typeof route === "string" && route.length <= 64))) &&
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
    case "device-add":
      if (typeof request["name"] !== "string" || !isKeyText(request["publicKey"])) {
        throw new ControlError(400, "bad_request", "device-add needs a name and a publicKey (base64 of 32 bytes)");
      }
      return request as ControlRequest;
    case "device-remove":
      if (!isKeyText(request["publicKey"])) throw new ControlError(400, "bad_request", "device-remove needs a publicKey (base64 of 32 bytes)");
      return request as ControlRequest;
    default:
      throw new ControlError(400, "bad_request", `unknown op ${JSON.stringify(request["op"])} (enroll, renew, report, poll, device-add, device-remove)`);
  }
}
