// This node's routing choices, the same ones `meshgate set` takes: the subnets and exit node it
// offers, masquerading, accepting other nodes' routes, and the exit node it uses.

import type { RoutingPrefs } from "../admin-views.js";
import type { FieldErrors } from "../form.js";
import { CheckboxField, FieldError, FormError, TextField } from "./fields.js";
import { CsrfField } from "./layout.js";

export function RoutingForm(props: { csrfToken: string; values: RoutingPrefs; errors: FieldErrors; peerNames: readonly string[] }) {
  const { values, errors } = props;
  return (
    <form method="post" action="/routes" class="stack card">
      <CsrfField token={props.csrfToken} />
      <FormError error={errors["form"]} />
      <div class={errors["advertiseRoutes"] === undefined ? "field" : "field invalid"}>
        <label for="advertiseRoutes">Subnets to share with the mesh</label>
        <textarea id="advertiseRoutes" name="advertiseRoutes" rows={3} aria-describedby={errors["advertiseRoutes"] === undefined ? undefined : "advertiseRoutes-error"}>
          {values.advertiseRoutes.join("\n")}
        </textarea>
        <p class="hint">
          One per line, like <code>192.168.1.0/24</code>; <code>192.168.1.0/24=10.77.1.0/24</code> shows it to the mesh under another prefix (two homes that both use
          192.168.1.0/24). The coordinator approves each.
        </p>
        <FieldError name="advertiseRoutes" error={errors["advertiseRoutes"]} />
      </div>
      <CheckboxField
        name="snatSubnetRoutes"
        label="Masquerade mesh traffic into these subnets"
        checked={values.snatSubnetRoutes}
        hint="LAN hosts then need no route back to the mesh."
        error={errors["snatSubnetRoutes"]}
      />
      <CheckboxField name="advertiseExitNode" label="Offer this node as an exit node" checked={values.advertiseExitNode} hint="Other nodes may send their internet traffic through it." error={errors["advertiseExitNode"]} />
      <CheckboxField name="acceptRoutes" label="Use subnets other nodes share" checked={values.acceptRoutes} error={errors["acceptRoutes"]} />
      <TextField
        name="exitNode"
        label="Exit node to use"
        value={values.exitNode ?? ""}
        list="peer-names"
        error={errors["exitNode"]}
        hint="A node's name or mesh address; empty: internet traffic goes straight out."
      />
      <datalist id="peer-names">
        {props.peerNames.map((name) => (
          <option value={name} />
        ))}
      </datalist>
      <CheckboxField
        name="exitNodeAllowLanAccess"
        label="Keep the local network reachable while using an exit node"
        checked={values.exitNodeAllowLanAccess}
        error={errors["exitNodeAllowLanAccess"]}
      />
      <button type="submit">Apply</button>
    </form>
  );
}
