// Headers on every response, errors and static files included. The policy allows scripts and
// styles only from this origin — no inline script, no inline style, no eval — so markup that
// slipped through escaping could not run anything; images may also be data: URLs (the QR
// codes). Nothing may frame the page (clickjacking a "remove node" button), and no URL of it
// leaks through a Referer.

import type { MiddlewareHandler } from "hono";

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
};

export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
    // Pages carry keys, tokens and a CSRF token: no cache keeps them. Static files set their own.
    if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
  };
}
