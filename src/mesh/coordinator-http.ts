// The coordinator's HTTP face for nodes (Hono): one route to open an encrypted session, one to
// make calls inside it, and a health check. Status codes say what went wrong; inside a session
// the error body is sealed like any answer.
//
//   GET  /health              → {"ok":true,"service":"meshgate coordinator","publicKey":…}
//   POST /control/v1/session  148-byte handshake initiation → 92-byte response
//   POST /control/v1/call     session id ‖ sealed call (control-session.ts) → sealed answer
//
// Opening a session, in order (each step refuses before the next one costs anything):
//   1. the source's token bucket (handshake-admission.ts) — 429 + Retry-After;
//   2. the body: 148 bytes (400), mac1 under this coordinator's key (401);
//   3. the global (or trusted-source) handshake budget — 429 + Retry-After;
//   4. the handshake: five X25519 operations; a replayed timestamp or a forgery — 401;
//   5. the session joins its pool (session-table.ts): registered node keys apart from the rest.
// Every refusal goes to the log through refusal-log.ts (at most two lines per 10 s).

import { Hono, type Context } from "hono";
import type { RandomSource } from "../wireguard/random-source.js";
import { callMessage, callSessionId, type CoordinatorChannel } from "./control-channel.js";
import { ControlError, parseControlRequest, SESSION_LIFETIME_MS, type ControlRequest, type CoordinatorServices } from "./control-protocol.js";
import type { ControlService } from "./control-service.js";
import type { OnGone } from "./netmap-publisher.js";
import { CHUNK_PLAINTEXT_BYTES, type ControlSession } from "./control-session.js";
import { createHandshakeAdmission, DEFAULT_HANDSHAKE_LIMITS, sourceKey, type HandshakeLimits } from "./handshake-admission.js";
import { createRefusalLog } from "./refusal-log.js";
import { createSessionTable, type SessionLimits, type SessionStats } from "./session-table.js";

const SESSION_BODY_LIMIT = 1024;
const CALL_BODY_LIMIT = 64 * 1024;

// A node holds one session (two while it renews); SESSIONS_PER_NODE_KEY leaves room for a
// restart of the node. Strangers' sessions serve one enroll call each: 1,024 of them last
// 2.5 s even when the whole global handshake budget (400/s) goes to a flood — enough for the
// call that follows a handshake.
export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  lifetimeMs: SESSION_LIFETIME_MS,
  perNodeKey: 4,
  unknownSessions: 1024,
  unknownTimestamps: 4096,
};

export interface ControlLimits {
  readonly handshakes: HandshakeLimits;
  readonly sessions: SessionLimits;
}

const NO_SERVICES: CoordinatorServices = { stunPorts: [], relay: false };

export interface ControlAppDeps {
  readonly service: ControlService;
  readonly channel: CoordinatorChannel;
  readonly random: RandomSource; // session ids
  readonly now: () => number; // monotonic ms
  // The TCP peer's address (the daemon reads it from the socket; never from a header, which
  // anyone can write). null when unknown: all such requests share one source.
  readonly sourceOf: (c: Context) => string | null;
  // Calls `listener` if the client goes away before its answer (a long poll then stops
  // waiting); returns the unsubscribe. The daemon listens on the node response's "close"; by
  // default the request's AbortSignal.
  readonly onClientGone?: (c: Context, listener: () => void) => () => void;
  readonly log: (line: string) => void;
  readonly limits?: Partial<ControlLimits>;
  // What the coordinator offers besides control (STUN ports, the TCP relay): told to every
  // node with its report's answer. Default: nothing.
  readonly services?: CoordinatorServices;
}

export interface ControlServer {
  readonly app: Hono;
  // Housekeeping (every few seconds): expired sessions go, suppressed refusals are summed up.
  tick(): void;
  // A node was removed: its sessions leave the registered pool.
  nodeGone(nodeKey: string): void;
  stats(): SessionStats & { readonly trackedSources: number; readonly trustedSources: number };
}

const OCTETS = { "content-type": "application/octet-stream" } as const;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// The request body, or null when it is larger than `limit`. With a Content-Length (every client
// of ours sends one) the server adapter reads it straight from the socket — HTTP framing keeps
// it to that length — without building a web Request and stream for it (hono's bodyLimit
// does: a sixth of the coordinator's CPU under a thousand polls). Without one, the body
// stream is read up to the limit.
async function readBody(c: Context, limit: number): Promise<Uint8Array | null> {
  const declared = c.req.header("content-length");
  if (declared !== undefined && c.req.header("transfer-encoding") === undefined) {
    if (!/^[0-9]{1,10}$/.test(declared) || Number(declared) > limit) return null;
    return new Uint8Array(await c.req.arrayBuffer());
  }
  const stream = c.req.raw.body;
  if (stream === null) return new Uint8Array(0);
  const reader = stream.getReader();
  const body = new Uint8Array(limit);
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return body.subarray(0, length);
    if (length + value.length > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    body.set(value, length);
    length += value.length;
  }
}

const tooLarge = (c: Context, limit: number): Response => c.json({ error: "too_large", message: `the body is larger than ${limit} bytes` }, 413);

export function createControlServer(deps: ControlAppDeps): ControlServer {
  const { service } = deps;
  const limits: ControlLimits = { handshakes: DEFAULT_HANDSHAKE_LIMITS, sessions: DEFAULT_SESSION_LIMITS, ...deps.limits };
  const sessions = createSessionTable(limits.sessions, deps.random);
  const admission = createHandshakeAdmission(limits.handshakes, deps.now());
  const refusals = createRefusalLog(deps.log);
  const acceptContext = { lastTimestamp: sessions.lastTimestamp, newSessionId: sessions.newSessionId };

  const rateLimited = (c: Context, source: string, waitMs: number, what: string): Response => {
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    refusals.note(deps.now(), "rate_limited", `${what} from ${source}: retry in ${seconds} s`);
    c.header("retry-after", String(seconds));
    return c.json({ error: "rate_limited", message: `too many handshakes (${what}): retry in ${seconds} s` }, 429);
  };

  const onClientGone = deps.onClientGone ?? ((c: Context, listener: () => void) => {
    const signal = c.req.raw.signal;
    if (signal.aborted) queueMicrotask(listener);
    signal.addEventListener("abort", listener);
    return () => signal.removeEventListener("abort", listener);
  });

  // The answer's JSON, in pieces.
  const dispatch = async (request: ControlRequest, nodeKey: string, onGone: OnGone): Promise<Uint8Array[]> => {
    const json = (answer: unknown): Uint8Array[] => [encoder.encode(JSON.stringify(answer))];
    switch (request.op) {
      case "enroll":
        return json({ op: "enroll", self: service.enroll(nodeKey, request.authKey, request) });
      case "renew":
        return json({ op: "renew", keyExpiresAt: service.renew(nodeKey, request.authKey) });
      case "report":
        service.report(nodeKey, request);
        return json({ op: "report", services: deps.services ?? NO_SERVICES });
      case "poll":
        return service.poll(nodeKey, request.version, onGone);
      case "device-add":
        return json({ op: "device-add", device: service.addDevice(nodeKey, request.name, request.publicKey) });
      case "device-remove":
        service.removeDevice(nodeKey, request.publicKey);
        return json({ op: "device-remove" });
    }
  };

  const app = new Hono<{ Variables: { source: string } }>();

  app.get("/health", (c) =>
    c.json({ ok: true, service: "meshgate coordinator", publicKey: Buffer.from(service.publicKey).toString("base64") }),
  );

  app.post(
    "/control/v1/session",
    async (c, next) => {
      const source = sourceKey(deps.sourceOf(c));
      const wait = admission.admitSource(source, deps.now());
      if (wait > 0) return rateLimited(c, source, wait, "this source");
      c.set("source", source);
      return next();
    },
    async (c) => {
      const source = c.get("source");
      const body = await readBody(c, SESSION_BODY_LIMIT);
      if (body === null) return tooLarge(c, SESSION_BODY_LIMIT);
      const checked = deps.channel.check(body);
      const now = deps.now();
      if (checked === "malformed") {
        refusals.note(now, "malformed", `a session request from ${source} is not a 148-byte initiation`);
        return c.json({ error: "bad_request", message: "expected a 148-byte handshake initiation" }, 400);
      }
      if (checked === "not_for_this_coordinator") {
        refusals.note(now, "wrong_coordinator", `an initiation from ${source} is addressed to another coordinator key`);
        return c.json({ error: "wrong_coordinator", message: "the handshake is addressed to another coordinator key: check the key pinned in the auth key" }, 401);
      }
      const wait = admission.admitHandshake(source, now);
      if (wait > 0) return rateLimited(c, source, wait, "all sources");
      const accepted = deps.channel.accept(checked, now, acceptContext);
      if (accepted === null) {
        refusals.note(now, "handshake_failed", `an initiation from ${source} did not authenticate (or replayed a timestamp)`);
        return c.json({ error: "handshake_failed", message: "the handshake did not authenticate" }, 401);
      }
      const registered = service.isRegistered(Buffer.from(accepted.session.peerKey).toString("base64"));
      sessions.add(accepted, registered, now);
      if (registered) admission.trust(source, now);
      return c.body(new Uint8Array(accepted.response), 200, OCTETS);
    },
  );

  app.post("/control/v1/call", async (c) => {
    const body = await readBody(c, CALL_BODY_LIMIT);
    if (body === null) return tooLarge(c, CALL_BODY_LIMIT);
    const id = callSessionId(body);
    const session = id === null ? null : sessions.use(id, deps.now());
    if (session === null) {
      refusals.note(deps.now(), "session_unknown", `a call for session ${id ?? "(none)"}`);
      return c.json({ error: "session_unknown", message: "no such session (it expired, or the coordinator restarted): open a new one" }, 401);
    }
    // The session is in use until its answer is sealed: released here, or when a streamed
    // answer ends.
    let streaming = false;
    try {
      const response = await call(c, session, body, () => sessions.release(session));
      streaming = response.streaming;
      return response.response;
    } finally {
      if (!streaming) sessions.release(session);
    }
  });

  const call = async (c: Context, session: ControlSession, body: Uint8Array, release: () => void): Promise<{ response: Response; streaming: boolean }> => {
    const nodeKey = Buffer.from(session.peerKey).toString("base64");
    const payload = session.open(callMessage(body));
    if (payload === null) {
      refusals.note(deps.now(), "not_authentic", `a call in ${nodeKey.slice(0, 8)}…'s session did not authenticate or was replayed`);
      return { response: c.json({ error: "bad_request", message: "the call is not authentic or was replayed" }, 400), streaming: false };
    }
    let status: 200 | ControlError["status"] = 200;
    let answer: Uint8Array[];
    try {
      const request = parseControlRequest(decoder.decode(payload));
      answer = await dispatch(request, nodeKey, (listener) => onClientGone(c, listener));
      if (request.op === "enroll") sessions.promote(session);
    } catch (error) {
      if (!(error instanceof ControlError)) throw error;
      refusals.note(deps.now(), error.code, `${nodeKey.slice(0, 8)}…: ${error.message}`);
      status = error.status;
      answer = [encoder.encode(JSON.stringify(error.toJSON()))];
    }
    // One chunk is sealed at once; a larger answer (a full netmap) chunk by chunk as it is sent.
    if (answer.reduce((sum, piece) => sum + piece.length, 0) <= CHUNK_PLAINTEXT_BYTES) {
      return { response: c.body(session.seal(answer), status, OCTETS), streaming: false };
    }
    const sealed = session.sealStream(answer, release);
    return { response: c.body(sealed.stream, status, { ...OCTETS, "content-length": String(sealed.length) }), streaming: true };
  };

  app.notFound((c) => c.json({ error: "not_found", message: `no route ${c.req.method} ${c.req.path}` }, 404));
  app.onError((error, c) => {
    refusals.note(deps.now(), "internal", error.stack ?? error.message);
    return c.json({ error: "internal", message: "internal error (see the coordinator log)" }, 500);
  });

  return {
    app: app as unknown as Hono,
    tick() {
      const now = deps.now();
      sessions.expire(now);
      refusals.flush(now);
    },
    nodeGone: (nodeKey) => sessions.demote(nodeKey),
    stats: () => ({ ...sessions.stats(), ...admission.stats() }),
  };
}
