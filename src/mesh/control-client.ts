// A node's side of the control channel: opens an encrypted session with the pinned coordinator
// (control-channel.ts) when it needs one, makes calls in it, and reopens it transparently when
// the coordinator forgot it (restart, expiry). Errors come back as ControlClientError with the
// coordinator's code and message, or "unreachable" when no answer came.

import { beginClientSession, frameCall, type ControlSession } from "./control-channel.js";
import { SESSION_LIFETIME_MS, type ControlErrorCode, type ControlRequest, type ControlResponse } from "./control-protocol.js";
import type { LocalIdentity, NoiseDeps } from "../wireguard/noise.js";

export type ClientErrorCode = ControlErrorCode | "unreachable" | "wrong_coordinator" | "handshake_failed" | "protocol";

export class ControlClientError extends Error {
  override readonly name = "ControlClientError";
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

export interface ControlClientDeps {
  readonly coordinatorUrl: string;
  readonly coordinatorKey: Uint8Array;
  readonly identity: LocalIdentity;
  readonly noise: NoiseDeps;
  readonly fetch: typeof fetch;
  readonly wallClock: () => number;
  readonly now: () => number; // monotonic ms
}

export interface ControlClient {
  call(request: ControlRequest, abort?: AbortSignal): Promise<ControlResponse>;
}

// Renew the session a little before the coordinator forgets it.
const SESSION_RENEW_MS = SESSION_LIFETIME_MS - 60_000;
const REQUEST_TIMEOUT_MS = 15_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function createControlClient(deps: ControlClientDeps): ControlClient {
  const base = deps.coordinatorUrl.replace(/\/+$/, "");
  let session: ControlSession | null = null;

  const post = async (path: string, body: Uint8Array, abort: AbortSignal | undefined, timeoutMs: number): Promise<Response> => {
    const signals = [AbortSignal.timeout(timeoutMs), ...(abort ? [abort] : [])];
    try {
      return await deps.fetch(`${base}${path}`, {
        method: "POST",
        body: new Uint8Array(body),
        headers: { "content-type": "application/octet-stream" },
        signal: AbortSignal.any(signals),
      });
    } catch (cause) {
      if (abort?.aborted) throw cause;
      throw new ControlClientError("unreachable", `cannot reach the coordinator at ${base}: ${(cause as Error).message}`);
    }
  };

  const plainError = async (response: Response): Promise<ControlClientError> => {
    const body = (await response.json().catch(() => ({}))) as { error?: string; message?: string };
    return new ControlClientError((body.error as ClientErrorCode) ?? "protocol", body.message ?? `HTTP ${response.status}`, response.status);
  };

  const openSession = async (abort: AbortSignal | undefined): Promise<ControlSession> => {
    const pending = beginClientSession(deps.noise, deps.identity, deps.coordinatorKey, deps.wallClock());
    const response = await post("/control/v1/session", pending.initiation, abort, REQUEST_TIMEOUT_MS);
    if (response.status !== 200) throw await plainError(response);
    const opened = pending.complete(new Uint8Array(await response.arrayBuffer()), deps.now());
    if (opened === null) {
      throw new ControlClientError("wrong_coordinator", `the coordinator at ${base} did not prove it holds the key pinned in the auth key`);
    }
    return opened;
  };

  const callOnce = async (current: ControlSession, request: ControlRequest, abort: AbortSignal | undefined): Promise<ControlResponse> => {
    const timeout = request.op === "poll" ? 10 * 60_000 : REQUEST_TIMEOUT_MS;
    const response = await post("/control/v1/call", frameCall(current, encoder.encode(JSON.stringify(request))), abort, timeout);
    if (response.headers.get("content-type") !== "application/octet-stream") throw await plainError(response);
    const payload = current.open(new Uint8Array(await response.arrayBuffer()));
    if (payload === null) throw new ControlClientError("protocol", "the coordinator's answer did not authenticate");
    const answer = JSON.parse(decoder.decode(payload)) as ControlResponse | { error: ClientErrorCode; message: string };
    if (response.status !== 200 || "error" in answer) {
      const error = answer as { error: ClientErrorCode; message: string };
      throw new ControlClientError(error.error, error.message, response.status);
    }
    return answer;
  };

  return {
    async call(request, abort) {
      if (session === null || deps.now() - session.createdAt > SESSION_RENEW_MS) session = await openSession(abort);
      try {
        return await callOnce(session, request, abort);
      } catch (error) {
        if (!(error instanceof ControlClientError && error.code === "session_unknown")) throw error;
        session = await openSession(abort);
        return callOnce(session, request, abort);
      }
    },
  };
}
