// Adding a device: the form (a name), and the answer — the device's wg-quick file as a QR code
// for the WireGuard app, as text and as a download. The file holds the device's private key,
// which the appliance does not keep, so the answer is the only place it ever appears: the
// download is a data: URL inside this same page, not a link back to the server (there is
// nothing there to fetch). The Content-Security-Policy does not stand in its way: no directive
// governs following or downloading an <a href> (img-src covers only the QR code's <img>).

import type { AddedDevice } from "../../src/admin/admin-api.js";
import type { FieldErrors } from "../form.js";
import { FormError, TextField } from "./fields.js";
import { CsrfField } from "./layout.js";

export const MAX_DEVICE_NAME_LENGTH = 32;

// A config of 300–400 bytes is a version 13–15 QR code at level M: 73–81 modules with the quiet
// zone, so 360 CSS pixels give each module 4.4 or more — what a phone camera reads off a screen.
export const DEVICE_QR_SIZE_PX = 360;

export function AddDeviceForm(props: { csrfToken: string; name: string; errors: FieldErrors }) {
  return (
    <form method="post" action="/devices" class="stack card">
      <h3>Add a device</h3>
      <CsrfField token={props.csrfToken} />
      <FormError error={props.errors["form"]} />
      <TextField
        name="name"
        label="Name"
        value={props.name}
        error={props.errors["name"]}
        autocomplete="off"
        required
        hint={`Up to ${MAX_DEVICE_NAME_LENGTH} letters, digits, spaces, - _ and ': “Anna's phone”.`}
      />
      <button type="submit">Add device</button>
    </form>
  );
}

export function configDownloadUrl(config: string): string {
  return `data:text/plain;charset=utf-8;base64,${Buffer.from(config, "utf8").toString("base64")}`;
}

export function AddedDevicePanel(props: { added: AddedDevice; qrCodeDataUrl: string }) {
  const { view, config, fileName } = props.added;
  return (
    <section class="card created" aria-labelledby="added-device">
      <h2 id="added-device">{view.name} added</h2>
      <p class="warning">
        This is the only time its configuration is shown: it holds the device's private key, which this appliance does not keep. Scan the code or
        download the file now — if it is lost, remove the device and add it again.
      </p>
      <p>Scan this with the WireGuard app (+, then “Scan from QR code”):</p>
      <img class="qr" src={props.qrCodeDataUrl} alt={`QR code of the WireGuard configuration for ${view.name}`} width={DEVICE_QR_SIZE_PX} height={DEVICE_QR_SIZE_PX} />
      <p>
        <a class="button" href={configDownloadUrl(config)} download={fileName}>
          Download {fileName}
        </a>{" "}
        (import it in the WireGuard app with “Import from file”)
      </p>
      <pre>
        <code class="device-config">{config}</code>
      </pre>
      <p class="muted">
        The device reaches this appliance at the Endpoint above: on this network it works as it is; from elsewhere it
        needs this appliance's UDP port forwarded on the home router, or a router that grants port mappings (UPnP,
        NAT-PMP or PCP), which the appliance uses by itself.
      </p>
    </section>
  );
}
