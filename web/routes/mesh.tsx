// The Mesh page's routes (mounted only where this appliance is the coordinator): the page, its
// live nodes table, creating and revoking pre-auth keys, removing and expiring nodes. Each
// irreversible action has a confirm page (GET, no effect) whose button posts it.

import { Hono, type Context } from "hono";
import { AdminInputError, AdminStateError, type AdminApi, type CoordinatorAdminApi, type CreateKeyRequest } from "../../src/admin/admin-api.js";
import type { AdminEnv } from "../app-env.js";
import { readForm, type FieldErrors } from "../form.js";
import type { JoinLinks } from "../join-links.js";
import { qrCodeDataUrl } from "../join-qr-code.js";
import { JOIN_LINK_PATH } from "./join.js";
import { navFor, redirectWithFlash, takeFlash } from "../page-context.js";
import { ConfirmPage } from "../pages/confirm.js";
import { MeshPage, type MeshPageProps } from "../pages/mesh.js";
import { EMPTY_KEY_FORM, KEY_EXPIRY_CHOICES, type KeyFormValues } from "../pages/mesh-keys.js";
import { MESH_NODES_LIVE_PATH, NodesTable } from "../pages/mesh-nodes.js";

const MAX_DESCRIPTION_LENGTH = 100;
// The admin interface's field names → the form's.
const KEY_FORM_FIELDS: Readonly<Record<string, string>> = { reusable: "reusable", ephemeral: "ephemeral", expiresInSeconds: "expires", description: "description" };

// The form checked field by field; a request only when every field is right.
function parseKeyForm(values: KeyFormValues): { request: CreateKeyRequest | null; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const expiry = KEY_EXPIRY_CHOICES.find((choice) => choice.value === values.expires);
  if (expiry === undefined) errors["expires"] = `Choose one of: ${KEY_EXPIRY_CHOICES.map((choice) => choice.label).join(", ")}.`;
  const description = values.description.trim();
  if (description.length > MAX_DESCRIPTION_LENGTH) errors["description"] = `At most ${MAX_DESCRIPTION_LENGTH} characters (this has ${description.length}).`;
  else if (/\p{Cc}/u.test(description)) errors["description"] = "Only printable characters, on one line.";
  if (expiry === undefined || Object.keys(errors).length > 0) return { request: null, errors };
  return { request: { reusable: values.reusable, ephemeral: values.ephemeral, expiresInSeconds: expiry.seconds, description }, errors };
}

export function meshRoutes(api: AdminApi, coordinator: CoordinatorAdminApi, now: () => number, joinLinks: JoinLinks): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();

  const page = async (c: Context<AdminEnv>, extra: Pick<MeshPageProps, "keyForm" | "created">) => {
    const [nodes, keys] = await Promise.all([coordinator.listNodes(), coordinator.listKeys()]);
    return <MeshPage nav={navFor(c, api, "mesh")} flash={takeFlash(c)} controlUrl={coordinator.controlUrl} nodes={nodes} keys={keys} now={now()} {...extra} />;
  };

  // The node named by the path's :id (its numeric id), or null.
  const nodeOf = async (c: Context<AdminEnv>) => {
    const id = Number(c.req.param("id"));
    return (await coordinator.listNodes()).find((node) => node.id === id) ?? null;
  };

  app.get("/mesh", async (c) => c.html(await page(c, { keyForm: { values: EMPTY_KEY_FORM, errors: {} }, created: null })));

  app.get(MESH_NODES_LIVE_PATH, async (c) => c.html(<NodesTable nodes={await coordinator.listNodes()} now={now()} />));

  app.post("/mesh/keys", async (c) => {
    const form = await readForm(c);
    const values = { reusable: form.checked("reusable"), ephemeral: form.checked("ephemeral"), expires: form.text("expires"), description: form.text("description") };
    const { request, errors } = parseKeyForm(values);
    if (request === null) return c.html(await page(c, { keyForm: { values, errors }, created: null }), 400);
    try {
      const key = await coordinator.createKey(request);
      const link = joinLinks.create(key.joinCommand, key.view.expiresAt);
      const joinLink = { url: new URL(`${JOIN_LINK_PATH}/${link.token}`, c.req.url).toString(), expiresAt: link.expiresAt };
      return c.html(await page(c, { keyForm: { values: EMPTY_KEY_FORM, errors: {} }, created: { key, qrCodeDataUrl: await qrCodeDataUrl(key.joinCommand), joinLink } }));
    } catch (error) {
      if (error instanceof AdminInputError) return c.html(await page(c, { keyForm: { values, errors: { [KEY_FORM_FIELDS[error.field] ?? "form"]: error.message } }, created: null }), 400);
      if (error instanceof AdminStateError) return c.html(await page(c, { keyForm: { values, errors: { form: error.message } }, created: null }), 409);
      throw error;
    }
  });

  app.get("/mesh/keys/:id/revoke", (c) => {
    const id = c.req.param("id");
    return c.html(
      <ConfirmPage
        nav={navFor(c, api, "mesh")}
        title={`Revoke key ${id}?`}
        consequence="Nobody can join with it any more. Nodes that already joined with it stay in the mesh."
        action={`/mesh/keys/${encodeURIComponent(id)}/revoke`}
        button="Revoke key"
        back="/mesh"
      />,
    );
  });

  app.post("/mesh/keys/:id/revoke", async (c) => {
    const id = c.req.param("id");
    await coordinator.revokeKey(id);
    return redirectWithFlash(c, "/mesh", `Key ${id} revoked.`);
  });

  app.get("/mesh/nodes/:id{[0-9]+}/:action{remove|expire}", async (c) => {
    const node = await nodeOf(c);
    if (node === null) return c.notFound();
    const remove = c.req.param("action") === "remove";
    return c.html(
      <ConfirmPage
        nav={navFor(c, api, "mesh")}
        title={remove ? `Remove ${node.name}?` : `Expire ${node.name}'s key?`}
        consequence={
          remove
            ? `${node.name} (${node.ipv4}) leaves the mesh at once: every peer drops it, and it can only come back by joining again with a pre-auth key.`
            : `${node.name} (${node.ipv4}) is cut off at once and stays listed, until it renews its key with meshgate up --auth-key and a new pre-auth key.`
        }
        action={`/mesh/nodes/${node.id}/${remove ? "remove" : "expire"}`}
        button={remove ? "Remove node" : "Expire key"}
        back="/mesh"
      />,
    );
  });

  app.post("/mesh/nodes/:id{[0-9]+}/remove", async (c) => {
    const node = await coordinator.removeNode(c.req.param("id"));
    return redirectWithFlash(c, "/mesh", `${node.name} removed from the mesh.`);
  });

  app.post("/mesh/nodes/:id{[0-9]+}/expire", async (c) => {
    const node = await coordinator.expireNode(c.req.param("id"));
    return redirectWithFlash(c, "/mesh", `${node.name}'s key expired: it is cut off until it joins again.`);
  });

  return app;
}
