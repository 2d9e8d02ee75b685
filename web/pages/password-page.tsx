// Changing the admin password: the current one first (a session left open on a shared
// computer must not be enough), then the new one twice. Every session ends with the change.

import type { FieldErrors } from "../form.js";
import { FormError, TextField } from "./fields.js";
import { CsrfField, Layout, type Nav } from "./layout.js";

export function PasswordPage(props: { nav: Nav; errors: FieldErrors }) {
  const { errors } = props;
  return (
    <Layout title="Change the admin password" nav={props.nav}>
      <p>Every open session ends, on every device; this browser stays logged in with a new one.</p>
      <form method="post" action="/password" class="stack">
        <CsrfField token={props.nav.csrfToken} />
        <FormError error={errors["form"]} />
        <TextField name="current" label="Current password" type="password" autocomplete="current-password" error={errors["current"]} required />
        <TextField name="password" label="New password" type="password" autocomplete="new-password" error={errors["password"]} required />
        <TextField name="repeat" label="New password again" type="password" autocomplete="new-password" error={errors["repeat"]} required />
        <button type="submit">Change password</button>
      </form>
    </Layout>
  );
}
