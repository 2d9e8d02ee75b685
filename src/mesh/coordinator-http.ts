// The coordinator's HTTP face for nodes (Hono): one route to open an encrypted session, one to
// make calls inside it, and a health check. Status codes say what went wrong; inside a session
// the error body is sealed like any answer.
//
//   GET  /health            → {"ok":true,"service":"meshgate coordinator","publicKey":…}
//   POST /control/v1/session  148-byte handshake initiation → 92-byte response
//   POST /control/v1/call     sealed call (control-channel.ts) → sealed answer

import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { callMessage, callSessionId, type ControlSession, type CoordinatorChannel } from "./control-channel.js";
import { ControlError, parseControlRequest, SESSION_LIFETIME_MS, type ControlRequest, type ControlResponse } from "./control-protocol.js";
import type { Coordinator } from "./coordinator.js";

const SESSION_BODY_LIMIT = 1024;
const CALL_BODY_LIMIT = 64 * 1024;
const MAX_SESSIONS = 20_000;

export interface ControlAppDeps {
  readonly coordinator: Coordinator;
  readonly channel: CoordinatorChannel;
  readonly now: () => number; // monotonic ms
  readonly log: (line: string) => void;
}

const OCTETS = { "content-type": "application/octet-stream" } as const;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function tooLarge(limit: number) {
  return bodyLimit({
    maxSize: limit,
    onError: (c) => c.json({ error: "too_large", message: `the body is larger than ${limit} bytes` }, 413),
  });
}

export function createControlApp(deps: ControlAppDeps): Hono {
  const { coordinator } = deps;
  const sessions = new Map<number, ControlSession>();

  const forgetOldSessions = (): void => {
    const now = deps.now();
    const forget = (id: number, session: ControlSession): void => {
      session.close();
      sessions.delete(id);
    };
    for (const [id, session] of sessions) if (now - session.createdAt > SESSION_LIFETIME_MS) forget(id, session);
    while (sessions.size >= MAX_SESSIONS) {
      const [id, session] = sessions.entries().next().value!;
      forget(id, session);
    }
  };

  const dispatch = async (request: ControlRequest, nodeKey: string, abort: AbortSignal): Promise<ControlResponse> => {
    switch (request.op) {
      case "enroll":
        return { op: "enroll", self: coordinator.enroll(nodeKey, request.authKey, request) };
      case "renew":
        return { op: "renew", keyExpiresAt: coordinator.renew(nodeKey, request.authKey) };
      case "report":
        coordinator.report(nodeKey, request);
        return { op: "report" };
      case "poll":
        return { op: "poll", update: await coordinator.poll(nodeKey, request.version, abort) };
    }
  };

  const app = new Hono();

  app.get("/health", (c) =>
    c.json({ ok: true, service: "meshgate coordinator", publicKey: Buffer.from(coordinator.publicKey).toString("base64") }),
  );

  app.post("/control/v1/session", tooLarge(SESSION_BODY_LIMIT), async (c) => {
    const result = deps.channel.accept(new Uint8Array(await c.req.arrayBuffer()), deps.now());
    if (result === "malformed") return c.json({ error: "bad_request", message: "expected a 148-byte handshake initiation" }, 400);
    if (result === "not_for_this_coordinator") {
      return c.json({ error: "wrong_coordinator", message: "the handshake is addressed to another coordinator key: check the key pinned in the auth key" }, 401);
    }
    if (result === "handshake_failed") return c.json({ error: "handshake_failed", message: "the handshake did not authenticate" }, 401);
    forgetOldSessions();
    sessions.set(result.session.id, result.session);
    return c.body(new Uint8Array(result.response), 200, OCTETS);
  });

  app.post("/control/v1/call", tooLarge(CALL_BODY_LIMIT), async (c) => {
    const body = new Uint8Array(await c.req.arrayBuffer());
    const id = callSessionId(body);
    const session = id === null ? undefined : sessions.get(id);
    if (session === undefined || deps.now() - session.createdAt > SESSION_LIFETIME_MS) {
      return c.json({ error: "session_unknown", message: "no such session (it expired, or the coordinator restarted): open a new one" }, 401);
    }
    const payload = session.open(callMessage(body));
    if (payload === null) return c.json({ error: "bad_request", message: "the call is not authentic or was replayed" }, 400);
    const nodeKey = Buffer.from(session.peerKey).toString("base64");
    let status: 200 | ControlError["status"] = 200;
    let answer: unknown;
    try {
      answer = await dispatch(parseControlRequest(decoder.decode(payload)), nodeKey, c.req.raw.signal);
    } catch (error) {
      if (!(error instanceof ControlError)) throw error;
      deps.log(`control: ${nodeKey.slice(0, 8)}… refused (${error.code}): ${error.message}`);
      status = error.status;
      answer = error.toJSON();
    }
    return c.body(new Uint8Array(session.seal(encoder.encode(JSON.stringify(answer)))), status, OCTETS);
  });

  app.notFound((c) => c.json({ error: "not_found", message: `no route ${c.req.method} ${c.req.path}` }, 404));
  app.onError((error, c) => {
    deps.log(`control: internal error: ${error.stack ?? error.message}`);
    return c.json({ error: "internal", message: "internal error (see the coordinator log)" }, 500);
  });
  return app;
}
