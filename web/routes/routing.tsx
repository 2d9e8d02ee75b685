// The Routes page's routes: the page, the change of this node's routing (one changeRouting
// call: every field applied, or none), and on a coordinator approving or rejecting a route.

import { Hono, type Context } from "hono";
import { AdminInputError, AdminStateError, type AdminApi } from "../../src/admin/admin-api.js";
import type { RoutingPrefs } from "../admin-views.js";
import type { AdminEnv } from "../app-env.js";
import { readForm, type SubmittedForm } from "../form.js";
import { navFor, redirectWithFlash, takeFlash } from "../page-context.js";
import { EXIT_NODE_SELECTOR } from "../pages/route-table.js";
import { RoutesPage, type RoutesPageProps } from "../pages/routes.js";

const ROUTING_FIELDS = ["advertiseRoutes", "advertiseExitNode", "snatSubnetRoutes", "acceptRoutes", "exitNode", "exitNodeAllowLanAccess"];

// The whole form as a change: a form shows every field, so an unticked box means false.
function routingChangeOf(form: SubmittedForm): RoutingPrefs {
  const exitNode = form.text("exitNode").trim();
  return {
    advertiseRoutes: form.text("advertiseRoutes").split(/[\s,]+/).filter((route) => route !== ""),
    advertiseExitNode: form.checked("advertiseExitNode"),
    snatSubnetRoutes: form.checked("snatSubnetRoutes"),
    acceptRoutes: form.checked("acceptRoutes"),
    exitNode: exitNode === "" ? null : exitNode,
    exitNodeAllowLanAccess: form.checked("exitNodeAllowLanAccess"),
  };
}

export function routingRoutes(api: AdminApi): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();
  const coordinator = api.coordinator;

  const page = async (c: Context<AdminEnv>, extra: Pick<RoutesPageProps, "form" | "tableError">) => {
    const [status, routes] = await Promise.all([api.node(), coordinator === null ? null : coordinator.listRoutes()]);
    return <RoutesPage nav={navFor(c, api, "routes")} flash={takeFlash(c)} status={status} routes={routes} {...extra} />;
  };

  app.get("/routes", async (c) => c.html(await page(c, { form: null, tableError: undefined })));

  app.post("/routes", async (c) => {
    const values = routingChangeOf(await readForm(c));
    try {
      await api.changeRouting(values);
    } catch (error) {
      if (error instanceof AdminInputError) {
        const field = ROUTING_FIELDS.includes(error.field) ? error.field : "form";
        return c.html(await page(c, { form: { values, errors: { [field]: error.message } }, tableError: undefined }), 400);
      }
      if (error instanceof AdminStateError) return c.html(await page(c, { form: { values, errors: { form: error.message } }, tableError: undefined }), 409);
      throw error;
    }
    return redirectWithFlash(c, "/routes", "Routing changed.");
  });

  if (coordinator === null) return app;

  for (const action of ["approve", "reject"] as const) {
    app.post(`/routes/${action}`, async (c) => {
      const form = await readForm(c);
      const node = form.text("node");
      const route = form.text("route");
      if (!/^[0-9]+$/.test(node) || route === "") return c.html(await page(c, { form: null, tableError: "Choose a route of the table." }), 400);
      const selector = route === EXIT_NODE_SELECTOR ? EXIT_NODE_SELECTOR : [route];
      try {
        const changes = await (action === "approve" ? coordinator.approveRoutes(node, selector) : coordinator.rejectRoutes(node, selector));
        const what = changes.changed.length === 0 ? "nothing changed" : `${action === "approve" ? "approved" : "rejected"} ${changes.changed.join(", ")}`;
        return redirectWithFlash(c, "/routes", `${changes.node}: ${what}.`);
      } catch (error) {
        if (error instanceof AdminInputError) return c.html(await page(c, { form: null, tableError: error.message }), 400);
        if (error instanceof AdminStateError) return c.html(await page(c, { form: null, tableError: error.message }), 409);
        throw error;
      }
    });
  }

  return app;
}
