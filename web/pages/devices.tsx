// The Devices page (where a node runs): phones and tablets with the stock WireGuard app that
// reach the mesh through this appliance — the table (live), the form that adds one, and the
// new device's configuration, shown once (device-added.tsx).

import type { AddedDevice, DeviceView } from "../../src/admin/admin-api.js";
import type { FieldErrors } from "../form.js";
import { formatAge, formatBytes, formatRate } from "../format.js";
import type { Rate } from "../rate-meter.js";
import { AddDeviceForm, AddedDevicePanel } from "./device-added.js";
import { Layout, type Nav } from "./layout.js";
import { LiveRegion } from "./live-region.js";

export const DEVICES_LIVE_PATH = "/live/devices";

// A device in a path is its public key in base64url without padding (43 characters): standard
// base64 has "/" (a path separator to every router and proxy) and "+" (a space to some decoders).
export function deviceKeySegment(publicKey: string): string {
  return publicKey.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function publicKeyOfSegment(segment: string): string {
  const base64 = segment.replace(/-/g, "+").replace(/_/g, "/");
  return base64 + "=".repeat((4 - (base64.length % 4)) % 4);
}

export const DEVICE_SEGMENT_PATTERN = "[A-Za-z0-9_-]{43}";

function DeviceRow(props: { device: DeviceView; rate: Rate | null; now: number }) {
  const { device, rate, now } = props;
  return (
    <tr>
      <td data-label="Device">
        <strong>{device.name}</strong>
        <span class="muted block">
          <code>{device.publicKey}</code>
        </span>
      </td>
      <td data-label="Mesh address">
        {device.ipv4}
        <span class="muted block">{device.ipv6}</span>
      </td>
      <td data-label="Handshake">{formatAge(device.lastHandshakeAt, now)}</td>
      <td data-label="Received" class="number">
        {formatBytes(device.rxBytes)}
      </td>
      <td data-label="Sent" class="number">
        {formatBytes(device.txBytes)}
      </td>
      <td data-label="Rate" class="number">
        {rate === null ? "–" : `↓ ${formatRate(rate.rxPerSecond)} ↑ ${formatRate(rate.txPerSecond)}`}
      </td>
      <td data-label="Endpoint">{device.endpoint ?? <span class="muted">not heard from yet</span>}</td>
      <td data-label="Actions" class="row-actions">
        <a href={`/devices/${deviceKeySegment(device.publicKey)}/remove`}>Remove…</a>
      </td>
    </tr>
  );
}

/** The devices table (also the answer of DEVICES_LIVE_PATH). */
export function DevicesTable(props: { devices: readonly DeviceView[]; rates: ReadonlyMap<string, Rate | null>; now: number }) {
  if (props.devices.length === 0) return <p class="muted">No devices yet: add one below and scan its code with the WireGuard app.</p>;
  return (
    <table class="responsive">
      <thead>
        <tr>
          <th>Device</th>
          <th>Mesh address</th>
          <th>Handshake</th>
          <th class="number">Received</th>
          <th class="number">Sent</th>
          <th class="number">Rate</th>
          <th>Endpoint</th>
          <th>Actions</th>
        </tr>
      </thead>
      <tbody>
        {props.devices.map((device) => (
          <DeviceRow device={device} rate={props.rates.get(device.publicKey) ?? null} now={props.now} />
        ))}
      </tbody>
    </table>
  );
}

export interface DevicesPageProps {
  readonly nav: Nav;
  readonly flash: string | null;
  readonly devices: readonly DeviceView[];
  readonly rates: ReadonlyMap<string, Rate | null>;
  readonly now: number;
  readonly form: { readonly name: string; readonly errors: FieldErrors };
  readonly added: { readonly device: AddedDevice; readonly qrCodeDataUrl: string } | null;
}

export function DevicesPage(props: DevicesPageProps) {
  return (
    <Layout title="Devices" nav={props.nav} flash={props.flash}>
      {props.added === null ? null : <AddedDevicePanel added={props.added.device} qrCodeDataUrl={props.added.qrCodeDataUrl} />}
      <p class="muted">Phones and tablets with the stock WireGuard app reach the mesh through this appliance; each has a mesh address of its own.</p>
      <section>
        <h2>Devices</h2>
        <LiveRegion src={DEVICES_LIVE_PATH} everySeconds={5}>
          <DevicesTable devices={props.devices} rates={props.rates} now={props.now} />
        </LiveRegion>
      </section>
      <section>
        <AddDeviceForm csrfToken={props.nav.csrfToken} name={props.form.name} errors={props.form.errors} />
      </section>
    </Layout>
  );
}
