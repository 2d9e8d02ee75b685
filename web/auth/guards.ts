// The middleware between the public routes and the rest, in the order the app applies it:
//
// 1. requirePassword: until an admin password exists, only /setup answers (a page redirects
//    there, a script endpoint answers 401).
// 2. requireSession: a live session cookie, or a redirect to /login (401 JSON for scripts).
//    The page's own polling does not count as activity, so a forgotten tab still goes idle.
// 3. requireCsrfToken: every request that may change something (anything but GET and HEAD)
//    carries the session's CSRF token, as the form field `_csrf` or the header X-CSRF-Token
//    (a script's fetch); without it, 403. SameSite=Strict already keeps the cookie off
//    cross-site requests; the token also stops a same-site page (any other web service on this
//    host's address is same-site, whatever its port).

import type { MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import type { AdminEnv } from "../app-env.js";
import { isScriptPath, jsonError } from "../errors.js";
import { readForm } from "../form.js";
import { ErrorPage } from "../pages/error-page.js";
import { SESSION_COOKIE, type AuthDeps } from "./auth-deps.js";
import { equalSecrets } from "./equal-secrets.js";

export const CSRF_FIELD = "_csrf";
export const CSRF_HEADER = "X-CSRF-Token";

export function requirePassword(deps: AuthDeps): MiddlewareHandler {
  return async (c, next) => {
    if (deps.auth.hasPassword() || c.req.path === "/setup") return next();
    if (isScriptPath(c.req.path)) return jsonError(c, 401, "unauthorized", "no admin password is set yet: open /setup");
    return c.redirect("/setup");
  };
}

export function requireSession(deps: AuthDeps): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const token = getCookie(c, SESSION_COOKIE);
    const now = deps.now();
    const session = token === undefined ? null : deps.sessions.find(token, now, deps.auth.passwordVersion());
    if (token === undefined || session === null) {
      if (isScriptPath(c.req.path)) return jsonError(c, 401, "unauthorized", "log in again: the session has ended");
      return c.redirect("/login");
    }
    if (!isScriptPath(c.req.path)) session.lastActiveAt = now;
    c.set("session", session);
    c.set("sessionToken", token);
    return next();
  };
}

export function requireCsrfToken(): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const presented = c.req.header(CSRF_HEADER) ?? (await readForm(c)).text(CSRF_FIELD);
    if (equalSecrets(presented, c.get("session").csrfToken)) return next();
    const message = "this form is out of date or came from another site: reload the page and try again";
    if (isScriptPath(c.req.path)) return jsonError(c, 403, "forbidden", message);
    return c.html(ErrorPage({ status: 403, message }), 403);
  };
}
