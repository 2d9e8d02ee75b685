// What the login, setup, session and password code shares: the admin interface's auth part,
// the session store, the failure limiter, the clock, and the two facts only the server knows
// (whether it is served over HTTPS, and the address a request comes from).

import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { AdminAuth } from "../../src/admin/admin-api.js";
import type { LoginLimiter } from "./login-limiter.js";
import { SESSION_LIFETIME_MS, type Session, type SessionStore } from "./sessions.js";
import type { SourceAddressOf } from "./source-address.js";

export const SESSION_COOKIE = "meshgate_session";

export interface AuthDeps {
  readonly auth: AdminAuth;
  readonly sessions: SessionStore;
  readonly limiter: LoginLimiter;
  readonly now: () => number;
  readonly secureCookies: boolean;
  readonly sourceAddressOf: SourceAddressOf;
}

/** A new session for this browser, under the current password, and its cookie; the browser's old session ends. */
export function startSession(c: Context, deps: AuthDeps): Session {
  const previous = getCookie(c, SESSION_COOKIE);
  if (previous !== undefined) deps.sessions.end(previous);
  const { token, session } = deps.sessions.create(deps.now(), deps.auth.passwordVersion());
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "Strict",
    path: "/",
    secure: deps.secureCookies,
    // The server ends it sooner when idle; the cookie outlives a browser restart (a phone's).
    maxAge: SESSION_LIFETIME_MS / 1000,
  });
  return session;
}
