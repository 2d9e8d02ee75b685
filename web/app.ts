// The LAN admin page as a Hono app over an AdminApi: createAdminApp builds it, the appliance
// serves it (src/daemon), tests call app.request(). Nothing here opens a port, a file after
// start-up, or the database.
//
// Request flow, in the order the app applies it:
//   1. security headers on every response (security-headers.ts), errors as pages or JSON, bodies
//      over 64 KiB refused (errors.ts), but for the update upload (512 MiB)
//   2. public: /static/* (static-assets.ts), /healthz (routes/healthz.ts), /metrics with its
//      bearer token (routes/metrics.ts)
//   3. no password yet: only /setup (auth/guards.ts requirePassword)
//   4. public: /setup, /login (routes/login.tsx), a one-time join link /join/:token (routes/join.tsx)
//   5. a live session, else /login or 401 (requireSession); a CSRF token on every POST (requireCsrfToken)
//   6. the pages: overview, traffic, health, mesh (coordinator only), devices (where a node runs),
//      routes, settings, account

import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AdminApi } from "../src/admin/admin-api.js";
import type { AdminEnv } from "./app-env.js";
import type { AuthDeps } from "./auth/auth-deps.js";
import { requireCsrfToken, requirePassword, requireSession } from "./auth/guards.js";
import { createLoginLimiter } from "./auth/login-limiter.js";
import { createSessionStore } from "./auth/sessions.js";
import { socketAddress, type SourceAddressOf } from "./auth/source-address.js";
import { errorHandler, MAX_REQUEST_BODY_BYTES, MAX_UPDATE_UPLOAD_BYTES, notFound, tooLarge, updateTooLarge } from "./errors.js";
import { createRateMeter } from "./rate-meter.js";
import { accountRoutes } from "./routes/account.js";
import { devicesRoutes } from "./routes/devices.js";
import { healthRoutes } from "./routes/health.js";
import { healthzRoutes } from "./routes/healthz.js";
import { createJoinLinks } from "./join-links.js";
import { joinRoutes } from "./routes/join.js";
import { loginRoutes } from "./routes/login.js";
import { meshRoutes } from "./routes/mesh.js";
import { metricsRoutes } from "./routes/metrics.js";
import { overviewRoutes } from "./routes/overview.js";
import { routingRoutes } from "./routes/routing.js";
import { settingsRoutes, UPDATE_UPLOAD_PATH } from "./routes/settings.js";
import { trafficRoutes } from "./routes/traffic.js";
import { securityHeaders } from "./security-headers.js";
import { staticAssets } from "./static-assets.js";

export interface AdminAppOptions {
  /** The wall clock, ms since the epoch (sessions, rate limits, ages on the page). */
  readonly now?: () => number;
  /** Marks the session cookie Secure: only where the page is served over HTTPS (off: plain HTTP on the LAN). */
  readonly secureCookies?: boolean;
  /** The address a request comes from, for the login rate limit (default: the socket's, via @hono/node-server). */
  readonly sourceAddress?: SourceAddressOf;
  /** Where failures of the appliance are reported (a 500's cause; default: console.error). */
  readonly logError?: (failure: unknown) => void;
}

export type { SourceAddressOf } from "./auth/source-address.js";

export function createAdminApp(api: AdminApi, options: AdminAppOptions = {}): Hono<AdminEnv> {
  const now = options.now ?? Date.now;
  const deps: AuthDeps = {
    auth: api.auth,
    sessions: createSessionStore(),
    limiter: createLoginLimiter(),
    now,
    secureCookies: options.secureCookies ?? false,
    sourceAddressOf: options.sourceAddress ?? socketAddress,
  };

  const app = new Hono<AdminEnv>();
  app.use(securityHeaders());
  app.onError(errorHandler(options.logError ?? ((failure) => console.error("admin page:", failure))));
  app.notFound(notFound);
  // One limit for every form; the update upload (only where updates exist) has its own, checked
  // against Content-Length before anything is read, and counted while a chunked body streams in.
  const formLimit = bodyLimit({ maxSize: MAX_REQUEST_BODY_BYTES, onError: tooLarge });
  const uploadLimit = bodyLimit({ maxSize: MAX_UPDATE_UPLOAD_BYTES, onError: updateTooLarge });
  app.use((c, next) => (api.updates !== undefined && c.req.method === "POST" && c.req.path === UPDATE_UPLOAD_PATH ? uploadLimit : formLimit)(c, next));

  app.route("/", staticAssets());
  app.route("/", healthzRoutes(api));
  app.route("/", metricsRoutes(api, now));

  app.use(requirePassword(deps));
  app.route("/", loginRoutes(deps));
  // Open without a session: a one-time link's token is its secret (routes/join.tsx).
  const joinLinks = createJoinLinks(now);
  app.route("/", joinRoutes(joinLinks));

  app.use(requireSession(deps));
  app.use(requireCsrfToken());
  app.route("/", accountRoutes(api, deps));
  app.route("/", overviewRoutes(api, createRateMeter(), now));
  app.route("/", trafficRoutes(api));
  app.route("/", healthRoutes(api));
  if (api.coordinator !== null) app.route("/", meshRoutes(api, api.coordinator, now, joinLinks));
  if (api.devices !== null) app.route("/", devicesRoutes(api, api.devices, createRateMeter(), now));
  app.route("/", routingRoutes(api));
  app.route("/", settingsRoutes(api));
  return app;
}
