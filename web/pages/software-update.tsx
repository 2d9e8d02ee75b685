// The Settings page's "Software update" section: the running version and slot, the other slot,
// an update under way (live while one is), how the last one ended (a rollback is a warning with
// its reason), and the upload form. Where meshgate does not run from the Raspberry Pi image's
// slots there is nothing to update into: the section says so and shows the version.

import type { UpdateStatus } from "../../src/admin/admin-api.js";
import { FieldError, FormError } from "./fields.js";
import { CsrfField } from "./layout.js";
import { LiveRegion } from "./live-region.js";

export const UPDATE_LIVE_PATH = "/live/update";

const at = (seconds: number): string => new Date(seconds * 1000).toISOString().replace("T", " ").replace(/:\d\d\.\d+Z$/, " UTC");

/** Whether an update is on its way in: the page then refreshes the status by itself. */
export const updateUnderWay = (status: UpdateStatus): boolean => status.pending !== null || status.incoming;

export function UpdateStatusView(props: { status: UpdateStatus }) {
  const { current, other, pending, incoming, lastResult } = props.status;
  return (
      <dl class="facts">
        <dt>Running</dt>
        <dd>
          meshgate {current.version ?? "?"} <span class="muted">(slot {current.slot})</span>
        </dd>
        <dt>Other slot</dt>
        <dd>{other.version === null ? <span class="muted">empty</span> : <>meshgate {other.version} <span class="muted">(slot {other.slot}, kept to roll back to)</span></>}</dd>
        {pending !== null || incoming ? (
          <>
            <dt>Under way</dt>
            <dd>
              {pending !== null
                ? `installing ${pending.version} into slot ${pending.slot} since ${at(pending.startedAt)}: meshgate restarts and must come up healthy within 2 minutes`
                : "an uploaded update waits for the installer"}
            </dd>
          </>
        ) : null}
        <dt>Last update</dt>
        {lastResult === null ? (
          <dd class="muted">none yet</dd>
        ) : lastResult.result === "installed" ? (
          <dd>
            {lastResult.version} installed {at(lastResult.at)}
            {lastResult.previousVersion === null ? "" : ` (was ${lastResult.previousVersion})`}
          </dd>
        ) : (
          <dd class="warning">
            {lastResult.version} was rolled back {at(lastResult.at)}: {lastResult.reason ?? "no reason given"}. {lastResult.previousVersion ?? "The previous version"} runs again.
          </dd>
        )}
      </dl>
  );
}

export interface SoftwareUpdateProps {
  readonly version: string;
  readonly csrfToken: string;
  /** null: not the image (no slots); string: the status could not be read. */
  readonly status: UpdateStatus | string | null;
  readonly errors: { readonly bundle?: string; readonly form?: string };
}

export function SoftwareUpdateSection(props: SoftwareUpdateProps) {
  const status = props.status;
  return (
    <section class="card" aria-labelledby="software-update">
      <h2 id="software-update">Software update</h2>
      {status === null ? (
        <>
          <p>meshgate {props.version}</p>
          <p class="muted">Updates from this page come with the Raspberry Pi image (meshgate installed in two slots, the old one kept to roll back to). Here, update meshgate the way it was installed.</p>
        </>
      ) : typeof status === "string" ? (
        <>
          <p>meshgate {props.version}</p>
          <p class="form-error">The update status cannot be read: {status}</p>
        </>
      ) : updateUnderWay(status) ? (
        <LiveRegion src={UPDATE_LIVE_PATH} everySeconds={5}>
          <UpdateStatusView status={status} />
        </LiveRegion>
      ) : (
        <UpdateStatusView status={status} />
      )}
      {status === null ? null : (
        <form method="post" action="/settings/update" enctype="multipart/form-data" class="stack">
          <CsrfField token={props.csrfToken} />
          <FormError error={props.errors.form} />
          <div class={props.errors.bundle === undefined ? "field" : "field invalid"}>
            <label for="bundle">Update file</label>
            <input
              id="bundle"
              name="bundle"
              type="file"
              accept=".tar.gz,.tgz,application/gzip"
              required
              aria-invalid={props.errors.bundle === undefined ? undefined : "true"}
              aria-describedby={props.errors.bundle === undefined ? "bundle-hint" : "bundle-error bundle-hint"}
            />
            <p class="hint" id="bundle-hint">
              meshgate-&lt;version&gt;-arm64.update.tar.gz, at most 512 MiB. It goes into the other slot; meshgate restarts (you log in again) and, if the new version does not come up healthy within 2 minutes, the current one comes back.
            </p>
            <FieldError name="bundle" error={props.errors.bundle} />
          </div>
          <button type="submit">Upload and install</button>
        </form>
      )}
    </section>
  );
}
