// The Settings page, with software updates where the appliance has them (api.updates): the
// status (and its live fragment while an update is under way) and the upload, which is handed
// to the appliance (UpdatesApi.stage) for the root installer.
//
// The upload is multipart/form-data. Its size is checked before it is read (app.ts: Content-Length
// against MAX_UPDATE_UPLOAD_BYTES, or counted while a chunked body streams); below that limit
// Hono's parseBody buffers the whole file in memory (the CSRF check reads the form first), and
// stage() takes it as bytes — a bundle is ~50 MiB, the Pi 4 and 5 have 1 GiB or more.

import { Hono, type Context } from "hono";
import { AdminInputError, AdminStateError, type AdminApi, type UpdateStatus } from "../../src/admin/admin-api.js";
import type { AdminEnv } from "../app-env.js";
import { navFor, redirectWithFlash, takeFlash } from "../page-context.js";
import { SettingsPage } from "../pages/settings.js";
import { UPDATE_LIVE_PATH, UpdateStatusView, type SoftwareUpdateProps } from "../pages/software-update.js";

export const UPDATE_UPLOAD_PATH = "/settings/update";

export const UPDATE_STARTED_FLASH =
  "The update is being installed. meshgate restarts in a minute or two; this page then asks you to log in again (sessions end with a restart), and the Software update section says how it went.";

export function settingsRoutes(api: AdminApi): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();
  const updates = api.updates;

  // The status, or why it could not be read (the section says so; the rest of the page works).
  const readStatus = async (): Promise<UpdateStatus | string | null> => {
    if (updates === undefined) return null;
    try {
      return await updates.status();
    } catch (failure) {
      return failure instanceof Error ? failure.message : String(failure);
    }
  };

  const page = async (c: Context<AdminEnv>, errors: SoftwareUpdateProps["errors"]) => (
    <SettingsPage
      nav={navFor(c, api, "settings")}
      flash={takeFlash(c)}
      metricsToken={api.metricsToken()}
      origin={new URL(c.req.url).origin}
      software={{ version: api.softwareVersion, status: await readStatus(), errors }}
    />
  );

  app.get("/settings", async (c) => c.html(await page(c, {})));
  if (updates === undefined) return app;

  app.get(UPDATE_LIVE_PATH, async (c) => c.html(<UpdateStatusView status={await updates.status()} />));

  app.post(UPDATE_UPLOAD_PATH, async (c) => {
    const body = await c.req.parseBody();
    const file = body["bundle"];
    if (!(file instanceof File) || file.size === 0) return c.html(await page(c, { bundle: "Choose the update file (meshgate-<version>-arm64.update.tar.gz)." }), 400);
    try {
      await updates.stage({ name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) });
    } catch (failure) {
      if (failure instanceof AdminInputError) return c.html(await page(c, { bundle: failure.message }), 400);
      if (failure instanceof AdminStateError) return c.html(await page(c, { form: failure.message }), 409);
      throw failure;
    }
    return redirectWithFlash(c, "/settings", UPDATE_STARTED_FLASH);
  });
  return app;
}
