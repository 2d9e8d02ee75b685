// The Devices page's routes (mounted only where a node runs, api.devices !== null): the page,
// its live table, adding a device (its configuration answered once, never stored here) and
// removing one through a confirm page.

import { Hono, type Context } from "hono";
import { AdminInputError, AdminStateError, type AdminApi, type DeviceView, type DevicesApi } from "../../src/admin/admin-api.js";
import type { AdminEnv } from "../app-env.js";
import { readForm, type FieldErrors } from "../form.js";
import { qrCodeDataUrl } from "../join-qr-code.js";
import { navFor, redirectWithFlash, takeFlash } from "../page-context.js";
import { ConfirmPage } from "../pages/confirm.js";
import { MAX_DEVICE_NAME_LENGTH } from "../pages/device-added.js";
import { DEVICE_SEGMENT_PATTERN, DEVICES_LIVE_PATH, DevicesPage, DevicesTable, publicKeyOfSegment, type DevicesPageProps } from "../pages/devices.js";
import type { RateMeter } from "../rate-meter.js";

// Letters and digits of any script (NFC, so "é" typed either way is one letter), space, - _ '.
const DEVICE_NAME_PATTERN = /^[\p{L}\p{Nd} _'-]+$/u;

/** The name as submitted, trimmed: the name to add, or the reason it cannot be one. */
export function parseDeviceName(submitted: string): { name: string; error: string | null } {
  const name = submitted.trim().normalize("NFC");
  const length = [...name].length;
  if (length === 0) return { name, error: "Give the device a name, e.g. “Anna's phone”." };
  if (length > MAX_DEVICE_NAME_LENGTH) return { name, error: `At most ${MAX_DEVICE_NAME_LENGTH} characters (this has ${length}).` };
  if (!DEVICE_NAME_PATTERN.test(name)) return { name, error: "Only letters, digits, spaces, - _ and '." };
  return { name, error: null };
}

export function devicesRoutes(api: AdminApi, devices: DevicesApi, rateMeter: RateMeter, now: () => number): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();

  const read = async () => {
    const list = await devices.list();
    const at = now();
    const rates = rateMeter.observe(at, list.map((device) => ({ nodeKey: device.publicKey, rxBytes: device.rxBytes, txBytes: device.txBytes })));
    return { devices: list, rates, now: at };
  };

  const page = async (c: Context<AdminEnv>, extra: Pick<DevicesPageProps, "form" | "added">) => (
    <DevicesPage nav={navFor(c, api, "devices")} flash={takeFlash(c)} {...await read()} {...extra} />
  );

  // The device named by the path's :key (deviceKeySegment), or null.
  const deviceOf = async (c: Context<AdminEnv>): Promise<DeviceView | null> => {
    const publicKey = publicKeyOfSegment(c.req.param("key") ?? "");
    return (await devices.list()).find((device) => device.publicKey === publicKey) ?? null;
  };

  app.get("/devices", async (c) => c.html(await page(c, { form: { name: "", errors: {} }, added: null })));

  app.get(DEVICES_LIVE_PATH, async (c) => c.html(<DevicesTable {...await read()} />));

  app.post("/devices", async (c) => {
    const submitted = (await readForm(c)).text("name");
    const { name, error } = parseDeviceName(submitted);
    const refused = async (errors: FieldErrors, status: 400 | 409) => c.html(await page(c, { form: { name: submitted, errors }, added: null }), status);
    if (error !== null) return refused({ name: error }, 400);
    try {
      const added = await devices.add(name);
      return c.html(await page(c, { form: { name: "", errors: {} }, added: { device: added, qrCodeDataUrl: await qrCodeDataUrl(added.config) } }));
    } catch (failure) {
      if (failure instanceof AdminInputError) return refused({ [failure.field === "name" ? "name" : "form"]: failure.message }, 400);
      if (failure instanceof AdminStateError) return refused({ form: failure.message }, 409);
      throw failure;
    }
  });

  app.get(`/devices/:key{${DEVICE_SEGMENT_PATTERN}}/remove`, async (c) => {
    const device = await deviceOf(c);
    if (device === null) return c.notFound();
    return c.html(
      <ConfirmPage
        nav={navFor(c, api, "devices")}
        title={`Remove ${device.name}?`}
        consequence={`${device.name} (${device.ipv4}) is revoked everywhere: the mesh drops its address within seconds, and its configuration stops working for good. To bring it back, add it again and scan the new code.`}
        action={`/devices/${c.req.param("key")}/remove`}
        button="Remove device"
        back="/devices"
      />,
    );
  });

  app.post(`/devices/:key{${DEVICE_SEGMENT_PATTERN}}/remove`, async (c) => {
    const device = await deviceOf(c);
    if (device === null) return c.notFound();
    await devices.remove(device.publicKey);
    return redirectWithFlash(c, "/devices", `${device.name} removed: revoked everywhere.`);
  });

  return app;
}
