// A password or setup-code attempt under the login limit: refused with 429 and Retry-After
// while the source is blocked (the secret is not even checked, so a blocked source learns
// nothing), counted when wrong, and the source cleared when right.

import type { Context } from "hono";
import type { AuthDeps } from "./auth-deps.js";

export type Attempt = { readonly kind: "blocked"; readonly message: string } | { readonly kind: "checked"; readonly ok: boolean };

export async function attempt(c: Context, deps: AuthDeps, check: () => boolean | Promise<boolean>): Promise<Attempt> {
  const source = deps.sourceAddressOf(c);
  const waitMs = deps.limiter.blockedForMs(source, deps.now());
  if (waitMs > 0) {
    const seconds = Math.ceil(waitMs / 1000);
    c.header("Retry-After", String(seconds));
    return { kind: "blocked", message: `Too many wrong attempts from your address: try again in ${Math.ceil(seconds / 60)} min.` };
  }
  const ok = await check();
  if (ok) deps.limiter.recordSuccess(source);
  else deps.limiter.recordFailure(source, deps.now());
  return { kind: "checked", ok };
}
