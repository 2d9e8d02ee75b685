// The two pages a person sees without a session: first-run setup (the one-time code `npm
// start` printed, and a new password twice) and login.

import type { FieldErrors } from "../form.js";
import { FormError, TextField } from "./fields.js";
import { BareLayout } from "./layout.js";

export function SetupPage(props: { errors: FieldErrors }) {
  return (
    <BareLayout title="Set the admin password">
      <p>
        This appliance has no admin password yet. Enter the one-time setup code it printed when it started (<code>npm start</code> or the
        console), then choose a password.
      </p>
      <form method="post" action="/setup" class="stack">
        <FormError error={props.errors["form"]} />
        <TextField name="code" label="Setup code" error={props.errors["code"]} autocomplete="one-time-code" required />
        <TextField name="password" label="New password" type="password" autocomplete="new-password" error={props.errors["password"]} required />
        <TextField name="repeat" label="New password again" type="password" autocomplete="new-password" error={props.errors["repeat"]} required />
        <button type="submit">Set password and log in</button>
      </form>
    </BareLayout>
  );
}

export function LoginPage(props: { errors: FieldErrors }) {
  return (
    <BareLayout title="Log in">
      <form method="post" action="/login" class="stack">
        <FormError error={props.errors["form"]} />
        <TextField name="password" label="Admin password" type="password" autocomplete="current-password" error={props.errors["password"]} required />
        <button type="submit">Log in</button>
      </form>
      <p class="hint">
        Forgot it? On the appliance, <code>meshgate admin passwd</code> sets a new one.
      </p>
    </BareLayout>
  );
}
