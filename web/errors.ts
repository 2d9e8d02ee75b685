// How a failure becomes an answer, in one place (Hono's app.onError).
//
// Two kinds of route: pages (HTML, a person reads the answer) and the endpoints the page's
// script fetches, under /api/ and /live/ (they answer {error, message} as JSON, so the script
// can say what went wrong). AdminInputError → 400 naming its field, AdminStateError → 409,
// HTTPException → its status, anything else → 500 (logged; the answer says only that the
// appliance failed).
//
// Forms do not come here for their own input errors: their handlers catch AdminInputError and
// show the form again with the reason beside the field.

import type { Context, ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AdminInputError, AdminStateError, MAX_UPDATE_BUNDLE_BYTES } from "../src/admin/admin-api.js";
import { ErrorPage } from "./pages/error-page.js";

/** Whether `path` is fetched by the page's script (JSON or HTML fragments), not opened by a person. */
export function isScriptPath(path: string): boolean {
  return path.startsWith("/api/") || path.startsWith("/live/");
}

export function jsonError(c: Context, status: ContentfulStatusCode, error: string, message: string, field?: string): Response {
  return c.json(field === undefined ? { error, message } : { error, message, field }, status);
}

function describe(failure: unknown): { status: ContentfulStatusCode; error: string; message: string; field?: string } {
  if (failure instanceof AdminInputError) return { status: 400, error: "bad_request", message: failure.message, field: failure.field };
  if (failure instanceof AdminStateError) return { status: 409, error: "conflict", message: failure.message };
  if (failure instanceof HTTPException && failure.status < 500) return { status: failure.status as ContentfulStatusCode, error: "bad_request", message: failure.message };
  return { status: 500, error: "internal", message: "the appliance failed to answer this request (its log says why)" };
}

export function errorHandler(log: (failure: unknown) => void): ErrorHandler {
  return (failure, c) => {
    const { status, error, message, field } = describe(failure);
    if (status === 500) log(failure);
    if (isScriptPath(c.req.path)) return jsonError(c, status, error, message, field);
    return c.html(ErrorPage({ status, message }), status);
  };
}

// The largest form is the routing form, a few hundred bytes: a body this big is no form of ours,
// and parsing it would only cost the board memory.
export const MAX_REQUEST_BODY_BYTES = 64 * 1024;

export function tooLarge(c: Context): Response | Promise<Response> {
  const message = `requests to the admin page carry at most ${MAX_REQUEST_BODY_BYTES / 1024} KiB`;
  if (isScriptPath(c.req.path)) return jsonError(c, 413, "too_large", message);
  return c.html(ErrorPage({ status: 413, message }), 413);
}

// An update bundle (POST /settings/update) is the one big body: the multipart framing around
// the file adds a few hundred bytes, the rest of the form (the CSRF token) fewer.
export const MAX_UPDATE_UPLOAD_BYTES = MAX_UPDATE_BUNDLE_BYTES + 64 * 1024;

export function updateTooLarge(c: Context): Response | Promise<Response> {
  return c.html(ErrorPage({ status: 413, message: `an update file is at most ${MAX_UPDATE_BUNDLE_BYTES / 1024 / 1024} MiB: this is not one` }), 413);
}

export function notFound(c: Context): Response | Promise<Response> {
  if (isScriptPath(c.req.path)) return jsonError(c, 404, "not_found", `no such endpoint: ${c.req.path}`);
  return c.html(ErrorPage({ status: 404, message: `There is no page ${c.req.path}.` }), 404);
}
