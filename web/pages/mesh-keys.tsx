// Pre-auth keys: the list (never a secret: only ids), the form that creates one, and the new
// key itself — its join command as text and as a QR code — shown once, right after creation.

import type { CreatedKey } from "../../src/admin/admin-api.js";
import type { AuthKeyView } from "../admin-views.js";
import type { FieldErrors } from "../form.js";
import { formatExpiry } from "../format.js";
import { CheckboxField, FieldError, FormError, TextField } from "./fields.js";
import { CsrfField } from "./layout.js";

// The lifetimes offered for a new key, in seconds (null: it never expires).
export const KEY_EXPIRY_CHOICES: readonly { readonly value: string; readonly label: string; readonly seconds: number | null }[] = [
  { value: "1h", label: "1 hour", seconds: 3600 },
  { value: "1d", label: "1 day", seconds: 86_400 },
  { value: "7d", label: "7 days", seconds: 7 * 86_400 },
  { value: "30d", label: "30 days", seconds: 30 * 86_400 },
  { value: "90d", label: "90 days", seconds: 90 * 86_400 },
  { value: "never", label: "never", seconds: null },
];

export interface KeyFormValues {
  readonly reusable: boolean;
  readonly ephemeral: boolean;
  readonly expires: string;
  readonly description: string;
}

export const EMPTY_KEY_FORM: KeyFormValues = { reusable: false, ephemeral: false, expires: "1d", description: "" };

function keyState(key: AuthKeyView, now: number): string {
  if (key.revokedAt !== null) return "revoked";
  if (key.expiresAt !== null && key.expiresAt <= now) return "expired";
  if (!key.usable) return "used";
  return "usable";
}

export function KeysTable(props: { keys: readonly AuthKeyView[]; now: number }) {
  if (props.keys.length === 0) return <p class="muted">No pre-auth keys yet.</p>;
  return (
    <table class="responsive">
      <thead>
        <tr>
          <th>Key</th>
          <th>Kind</th>
          <th>Expires</th>
          <th>Used</th>
          <th>State</th>
          <th>Actions</th>
        </tr>
      </thead>
      <tbody>
        {props.keys.map((key) => (
          <tr>
            <td data-label="Key">
              <code>{key.id}</code>
              {key.description === "" ? null : <span class="muted block">{key.description}</span>}
            </td>
            <td data-label="Kind">{[key.reusable ? "reusable" : "one-off", ...(key.ephemeral ? ["ephemeral"] : [])].join(", ")}</td>
            <td data-label="Expires">{formatExpiry(key.expiresAt, props.now)}</td>
            <td data-label="Used" class="number">
              {key.usedCount}×
            </td>
            <td data-label="State">{keyState(key, props.now)}</td>
            <td data-label="Actions" class="row-actions">
              {key.usable ? <a href={`/mesh/keys/${encodeURIComponent(key.id)}/revoke`}>Revoke…</a> : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function CreateKeyForm(props: { csrfToken: string; values: KeyFormValues; errors: FieldErrors }) {
  const { values, errors } = props;
  return (
    <form method="post" action="/mesh/keys" class="stack card">
      <h3>Create a pre-auth key</h3>
      <CsrfField token={props.csrfToken} />
      <FormError error={errors["form"]} />
      <CheckboxField name="reusable" label="Reusable" checked={values.reusable} hint="Several machines may join with it (a one-off key works once)." error={errors["reusable"]} />
      <CheckboxField name="ephemeral" label="Ephemeral" checked={values.ephemeral} hint="Nodes that join with it are removed after they go offline (containers, CI)." error={errors["ephemeral"]} />
      <div class={errors["expires"] === undefined ? "field" : "field invalid"}>
        <label for="expires">Expires after</label>
        <select id="expires" name="expires">
          {KEY_EXPIRY_CHOICES.map((choice) => (
            <option value={choice.value} selected={choice.value === values.expires}>
              {choice.label}
            </option>
          ))}
        </select>
        <FieldError name="expires" error={errors["expires"]} />
      </div>
      <TextField name="description" label="Description (optional)" value={values.description} error={errors["description"]} hint="Who or what it is for: “Anna's laptop”." />
      <button type="submit">Create key</button>
    </form>
  );
}

// A one-time link to the join command (join-links.ts), for whoever sets up the new machine.
export interface JoinLink {
  readonly url: string;
  readonly expiresAt: number;
}

export function CreatedKeyPanel(props: { created: CreatedKey; qrCodeDataUrl: string; joinLink: JoinLink; now: number }) {
  const { created } = props;
  return (
    <section class="card created" aria-labelledby="created-key">
      <h2 id="created-key">New key {created.view.id}</h2>
      <p class="warning">This is the only time the key is shown: copy the command or scan the code now.</p>
      <p>On the machine that should join, run:</p>
      <pre>
        <code class="join-command">{created.joinCommand}</code>
      </pre>
      <img class="qr" src={props.qrCodeDataUrl} alt={`QR code of the join command for key ${created.view.id}`} width={240} height={240} />
      <p>
        Or send this one-time link to whoever sets up the machine (it shows the command once, and works for{" "}
        {Math.max(1, Math.round((props.joinLink.expiresAt - props.now) / 60_000))} minutes):
      </p>
      <pre>
        <code class="join-link">{props.joinLink.url}</code>
      </pre>
    </section>
  );
}
