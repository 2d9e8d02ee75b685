// The Mesh page (where this appliance is the coordinator): nodes, then pre-auth keys.

import type { CreatedKey } from "../../src/admin/admin-api.js";
import type { AuthKeyView, NodeView } from "../admin-views.js";
import type { FieldErrors } from "../form.js";
import { Layout, type Nav } from "./layout.js";
import { LiveRegion } from "./live-region.js";
import { CreatedKeyPanel, CreateKeyForm, KeysTable, type JoinLink, type KeyFormValues } from "./mesh-keys.js";
import { MESH_NODES_LIVE_PATH, NodesTable } from "./mesh-nodes.js";

export interface MeshPageProps {
  readonly nav: Nav;
  readonly flash: string | null;
  readonly controlUrl: string;
  readonly nodes: readonly NodeView[];
  readonly keys: readonly AuthKeyView[];
  readonly now: number;
  readonly keyForm: { readonly values: KeyFormValues; readonly errors: FieldErrors };
  readonly created: { readonly key: CreatedKey; readonly qrCodeDataUrl: string; readonly joinLink: JoinLink } | null;
}

export function MeshPage(props: MeshPageProps) {
  return (
    <Layout title="Mesh" nav={props.nav} flash={props.flash}>
      {props.created === null ? null : <CreatedKeyPanel created={props.created.key} qrCodeDataUrl={props.created.qrCodeDataUrl} joinLink={props.created.joinLink} now={props.now} />}
      <p class="muted">
        This appliance is the mesh's coordinator, at <code>{props.controlUrl}</code>.
      </p>
      <section>
        <h2>Nodes</h2>
        <LiveRegion src={MESH_NODES_LIVE_PATH} everySeconds={5}>
          <NodesTable nodes={props.nodes} now={props.now} />
        </LiveRegion>
      </section>
      <section>
        <h2>Pre-auth keys</h2>
        <KeysTable keys={props.keys} now={props.now} />
        <CreateKeyForm csrfToken={props.nav.csrfToken} values={props.keyForm.values} errors={props.keyForm.errors} />
      </section>
    </Layout>
  );
}
