// A node's side of the control channel: opens an encrypted session with the pinned coordinator
// (control-channel.ts) when it needs one, makes calls in it, and reopens it transparently when
// the coordinator forgot it (restart, expiry).
//
// What may be believed: only an answer sealed by the pinned coordinator. A sealed refusal comes
// back as ControlRefusal (its code may end the node's membership, see node-agent.ts). Everything
// else is ControlUnavailable and never grounds to change state: no answer, an answer that does
// not authenticate, and any plaintext error, whatever code it claims — the channel is plain
// HTTP, so a captive portal, a proxy or an attacker on the path can write one.

import { beginClientSession, frameCall, type ChannelCrypto } from "./control-channel.js";
import type { ControlSession } from "./control-session.js";
import { SESSION_LIFETIME_MS, type ControlErrorCode, type ControlRequest, type ControlResponse } from "./control-protocol.js";
import type { LocalIdentity } from "../wireguard/noise.js";

// A refusal the pinned coordinator sealed in the session: authentic.
export class ControlRefusal extends Error {
  override readonly name = "ControlRefusal";
  constructor(
    readonly code: ControlErrorCode,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

// No authentic answer: "unreachable" (no HTTP answer), "unauthenticated" (an answer that is not
// sealed by the pinned coordinator, plaintext errors included), "protocol" (sealed, but not an
// answer this client understands). Transient: callers retry and keep their state.
// `claimedCode` is the code an unauthenticated answer claimed, if any: a hint, never a verdict.
export class ControlUnavailable extends Error {
  override readonly name = "ControlUnavailable";
  constructor(
    readonly reason: "unreachable" | "unauthenticated" | "protocol",
    message: string,
    readonly claimedCode: string | null = null,
  ) {
    super(message);
  }
}

export interface ControlClientDeps {
  readonly coordinatorUrl: string;
  readonly coordinatorKey: Uint8Array;
  readonly identity: LocalIdentity;
  readonly noise: ChannelCrypto;
  readonly fetch: typeof fetch;
  readonly wallClock: () => number;
  readonly now: () => number; // monotonic ms
}

export interface ControlClient {
  // Resolves with the coordinator's answer; rejects with ControlRefusal or ControlUnavailable
  // (or the abort reason when `abort` fires).
  call(request: ControlRequest, abort?: AbortSignal): Promise<ControlResponse>;
}

// Renew the session a little before the coordinator forgets it.
const SESSION_RENEW_MS = SESSION_LIFETIME_MS - 60_000;
const REQUEST_TIMEOUT_MS = 15_000;
// The coordinator answers an idle poll within 25 s (3 s for a subnet router), so a minute with
// no answer means a dead connection — a link that went down and up loses it without a word —
// and a new poll should start; a standby router must not sit on one for long.
const POLL_TIMEOUT_MS = 60_000;
// How much of an unauthenticated answer is quoted in the error (status, logs).
const QUOTE_CHARS = 120;
// The largest answer read: a full netmap is ~250 bytes a node, so this is ~250,000 nodes; past
// it, the answer is not read further (anything on the path could send an endless body).
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;
const SESSION_ANSWER_LIMIT = 1024; // a handshake response is 92 bytes
const UNAUTHENTICATED_READ_LIMIT = 4096; // enough to quote QUOTE_CHARS of a plaintext error
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// A session plus the calls still using it: a replaced session is wiped once its last call ends.
interface SessionInUse {
  readonly session: ControlSession;
  calls: number;
  replaced: boolean;
}

export function createControlClient(deps: ControlClientDeps): ControlClient {
  const base = deps.coordinatorUrl.replace(/\/+$/, "");
  let current: SessionInUse | null = null;

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
      throw new ControlUnavailable("unreachable", `cannot reach the coordinator at ${base}: ${(cause as Error).message}`);
    }
  };

  // What an unsealed answer said, quoted for people; never acted upon.
  const unauthenticated = async (response: Response): Promise<ControlUnavailable> => {
    const bytes = await readBounded(response, UNAUTHENTICATED_READ_LIMIT).catch(() => null);
    const text = (bytes === null ? "" : decoder.decode(bytes)).replace(/\s+/g, " ").trim();
    const quoted = text.length > QUOTE_CHARS ? `${text.slice(0, QUOTE_CHARS)}…` : text;
    let claimed: unknown = null;
    try {
      claimed = (JSON.parse(text) as { error?: unknown }).error ?? null;
    } catch {
      // not JSON: nothing claimed
    }
    return new ControlUnavailable(
      "unauthenticated",
      `${base} answered HTTP ${response.status} without the coordinator's seal${quoted ? ` (${quoted})` : ""}; not trusted`,
      typeof claimed === "string" ? claimed : null,
    );
  };

  // The body, or null when it is larger than `limit` (reading stops there).
  const readBounded = async (response: Response, limit: number): Promise<Uint8Array | null> => {
    if (Number(response.headers.get("content-length") ?? 0) > limit || response.body === null) {
      await response.body?.cancel().catch(() => undefined);
      return response.body === null ? new Uint8Array(0) : null;
    }
    const pieces: Uint8Array[] = [];
    let length = 0;
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        length += value.length;
        if (length > limit) {
          await reader.cancel().catch(() => undefined);
          return null;
        }
        pieces.push(value);
      }
    } catch (cause) {
      throw new ControlUnavailable("unreachable", `the answer from ${base} broke off: ${(cause as Error).message}`);
    }
    if (pieces.length === 1) return pieces[0]!;
    const body = new Uint8Array(length);
    let offset = 0;
    for (const piece of pieces) {
      body.set(piece, offset);
      offset += piece.length;
    }
    return body;
  };

  const openSession = async (abort: AbortSignal | undefined): Promise<ControlSession> => {
    const pending = beginClientSession(deps.noise, deps.identity, deps.coordinatorKey, deps.wallClock());
    let answer: Uint8Array = new Uint8Array(0);
    let failure: unknown = null;
    try {
      const response = await post("/control/v1/session", pending.initiation, abort, REQUEST_TIMEOUT_MS);
      if (response.status === 200) answer = (await readBounded(response, SESSION_ANSWER_LIMIT)) ?? new Uint8Array(0);
      else failure = await unauthenticated(response);
    } catch (error) {
      failure = error;
    }
    // complete() runs exactly once, and wipes the handshake's secrets whatever happened.
    const opened = pending.complete(answer, deps.now());
    if (opened !== null) return opened;
    throw failure ?? new ControlUnavailable("unauthenticated", `the answer from ${base} did not prove it comes from the coordinator pinned in the auth key; not trusted`);
  };

  const sessionInUse = async (abort: AbortSignal | undefined, replace: SessionInUse | null): Promise<SessionInUse> => {
    const stale = current === null || current === replace || deps.now() - current.session.createdAt > SESSION_RENEW_MS;
    if (!stale) return current!;
    const session = await openSession(abort);
    if (current !== null) retire(current);
    current = { session, calls: 0, replaced: false };
    return current;
  };

  const retire = (entry: SessionInUse): void => {
    entry.replaced = true;
    if (entry.calls === 0) entry.session.close();
  };

  const callOnce = async (entry: SessionInUse, request: ControlRequest, abort: AbortSignal | undefined): Promise<ControlResponse> => {
    entry.calls++;
    try {
      const timeout = request.op === "poll" ? POLL_TIMEOUT_MS : REQUEST_TIMEOUT_MS;
      const response = await post("/control/v1/call", frameCall(entry.session, encoder.encode(JSON.stringify(request))), abort, timeout);
      if (response.headers.get("content-type") !== "application/octet-stream") throw await unauthenticated(response);
      const body = await readBounded(response, MAX_ANSWER_BYTES);
      if (body === null) throw new ControlUnavailable("protocol", `the answer from ${base} is larger than ${MAX_ANSWER_BYTES >> 20} MiB; not read`);
      const payload = entry.session.open(body);
      if (payload === null) throw new ControlUnavailable("unauthenticated", `the answer from ${base} did not authenticate in this session; not trusted`);
      let answer: ControlResponse | { error: ControlErrorCode; message: string };
      try {
        answer = JSON.parse(decoder.decode(payload)) as typeof answer;
      } catch {
        throw new ControlUnavailable("protocol", "the coordinator's sealed answer is not JSON");
      }
      if ("error" in answer) throw new ControlRefusal(answer.error, answer.message, response.status);
      if (response.status !== 200 || answer.op !== request.op) throw new ControlUnavailable("protocol", `the coordinator answered ${String(answer.op)} (HTTP ${response.status}) to ${request.op}`);
      return answer;
    } finally {
      entry.calls--;
      if (entry.replaced && entry.calls === 0) entry.session.close();
    }
  };

  return {
    async call(request, abort) {
      const entry = await sessionInUse(abort, null);
      try {
        return await callOnce(entry, request, abort);
      } catch (error) {
        // A session the coordinator no longer knows (a restart) is reopened once. The hint may
        // be unauthenticated: at worst it costs one handshake per call.
        if (!(error instanceof ControlUnavailable && error.claimedCode === "session_unknown")) throw error;
        return callOnce(await sessionInUse(abort, entry), request, abort);
      }
    },
  };
}
