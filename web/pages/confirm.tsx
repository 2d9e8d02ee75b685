// The confirm step of an action that cannot be undone (remove a node, expire its key, revoke a
// pre-auth key): a page of its own, reached by a plain link, whose button posts the action —
// no script, so it works under the Content-Security-Policy and without JavaScript.

import { CsrfField, Layout, type Nav } from "./layout.js";

export function ConfirmPage(props: { nav: Nav; title: string; consequence: string; action: string; button: string; back: string }) {
  return (
    <Layout title={props.title} nav={props.nav}>
      <p>{props.consequence}</p>
      <form method="post" action={props.action} class="actions">
        <CsrfField token={props.nav.csrfToken} />
        <button type="submit" class="danger">
          {props.button}
        </button>
        <a href={props.back} class="button secondary">
          Cancel
        </a>
      </form>
    </Layout>
  );
}
