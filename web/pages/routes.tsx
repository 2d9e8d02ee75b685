// The Routes page: this node's routing (what it does now, and the form that changes it) and, on
// a coordinator, the mesh's route table.

import type { NodeStatus, RouteView, RoutingPrefs } from "../admin-views.js";
import type { FieldErrors } from "../form.js";
import { FormError } from "./fields.js";
import { Layout, type Nav } from "./layout.js";
import { RouteTable } from "./route-table.js";
import { RoutingForm } from "./routing-form.js";
import { RoutingStatus } from "./routing-status.js";

export interface RoutesPageProps {
  readonly nav: Nav;
  readonly flash: string | null;
  readonly status: NodeStatus | null;
  // The form as submitted when it was refused (else the node's current choices).
  readonly form: { readonly values: RoutingPrefs; readonly errors: FieldErrors } | null;
  readonly routes: readonly RouteView[] | null; // null: not the coordinator
  readonly tableError: string | undefined;
}

export function RoutesPage(props: RoutesPageProps) {
  const routing = props.status?.routing;
  return (
    <Layout title="Routes" nav={props.nav} flash={props.flash}>
      <section>
        <h2>This node</h2>
        {routing === undefined ? (
          <p class="notice">{props.status === null ? "No mesh node runs on this appliance." : "This node's routing is not known yet."}</p>
        ) : (
          <>
            <RoutingStatus routing={routing} />
            <RoutingForm
              csrfToken={props.nav.csrfToken}
              values={props.form?.values ?? routing.prefs}
              errors={props.form?.errors ?? {}}
              peerNames={(props.status?.peers ?? []).map((peer) => peer.name)}
            />
          </>
        )}
      </section>
      {props.routes === null ? null : (
        <section>
          <h2>Mesh routes</h2>
          <FormError error={props.tableError} />
          <RouteTable routes={props.routes} csrfToken={props.nav.csrfToken} />
        </section>
      )}
    </Layout>
  );
}
