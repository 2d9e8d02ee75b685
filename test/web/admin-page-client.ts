// A browser for the admin page's tests: it keeps the session cookie, reads the CSRF token off
// the last page, and sends every request as if from a socket address (what @hono/node-server
// puts in c.env, so the app's own source-address code runs). No port is opened.

import assert from "node:assert/strict";
import { createAdminApp } from "../../web/app.js";
import { createFakeAdminApi, FAKE_NOW, type FakeAdminApi } from "../fakes/fake-admin-api.js";

export interface Harness {
  readonly api: FakeAdminApi;
  readonly clock: { now: number };
  readonly app: ReturnType<typeof createAdminApp>;
  readonly logged: unknown[];
  browser(from?: string): Browser;
  /** A browser logged in with the fake's password. */
  login(from?: string): Promise<Browser>;
}

export interface Browser {
  cookie: string | null;
  csrf: string | null;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  /** A form post; the CSRF token of the last page unless `fields._csrf` says otherwise. */
  post(path: string, fields?: Record<string, string>, headers?: Record<string, string>): Promise<Response>;
  /** A multipart/form-data post (a file upload); the CSRF token of the last page unless `fields` has `_csrf`. */
  upload(path: string, fields: Record<string, string | File>, headers?: Record<string, string>): Promise<Response>;
}

export function harness(options: { coordinator?: boolean; devices?: boolean; password?: string | null; updates?: boolean } = {}): Harness {
  const api = createFakeAdminApi(options);
  const clock = { now: FAKE_NOW };
  const logged: unknown[] = [];
  const app = createAdminApp(api, { now: () => clock.now, logError: (failure) => logged.push(failure) });

  const browser = (from = "192.168.1.50"): Browser => {
    const env = { incoming: { socket: { remoteAddress: from, remotePort: 50000, remoteFamily: "IPv4" } } };
    const send = async (path: string, init: RequestInit): Promise<Response> => {
      const headers = new Headers(init.headers);
      if (self.cookie !== null) headers.set("Cookie", `meshgate_session=${self.cookie}`);
      const response = await app.request(path, { ...init, headers }, env);
      const setCookie = response.headers.get("Set-Cookie");
      const match = setCookie === null ? null : /meshgate_session=([^;]*)/.exec(setCookie);
      if (match !== null) self.cookie = match[1] === "" ? null : match[1]!;
      if ((response.headers.get("Content-Type") ?? "").startsWith("text/html")) {
        const html = await response.clone().text();
        const token = /name="_csrf" value="([^"]+)"/.exec(html);
        if (token !== null) self.csrf = token[1]!;
      }
      return response;
    };
    const self: Browser = {
      cookie: null,
      csrf: null,
      get: (path, headers = {}) => send(path, { headers }),
      post: (path, fields = {}, headers = {}) => {
        const body = new URLSearchParams({ ...(self.csrf === null ? {} : { _csrf: self.csrf }), ...fields });
        return send(path, { method: "POST", body, headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers } });
      },
      upload: (path, fields, headers = {}) => {
        const body = new FormData();
        if (self.csrf !== null && !("_csrf" in fields)) body.append("_csrf", self.csrf);
        for (const [name, value] of Object.entries(fields)) body.append(name, value);
        return send(path, { method: "POST", body, headers });
      },
    };
    return self;
  };

  return {
    api,
    clock,
    app,
    logged,
    browser,
    async login(from) {
      const client = browser(from);
      const response = await client.post("/login", { password: api.password ?? "" });
      assert.equal(response.status, 302, "logged in");
      assert.notEqual(client.cookie, null);
      await client.get("/"); // the page with the CSRF token
      assert.notEqual(client.csrf, null);
      return client;
    },
  };
}

export const locationOf = (response: Response): string | null => response.headers.get("Location");
