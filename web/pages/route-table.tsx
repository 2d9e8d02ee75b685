// The coordinator's route table: every route a node advertises or has approved, whether the
// mesh routes it to that node now, and the buttons that approve or reject it. A node's two exit
// routes (0.0.0.0/0 and ::/0) are one row, "exit node": they are approved together.

import type { RouteView } from "../admin-views.js";
import { CsrfField } from "./layout.js";

const EXIT_ROUTES = ["0.0.0.0/0", "::/0"];
export const EXIT_NODE_SELECTOR = "exit-node";

export interface RouteRow {
  readonly node: string;
  readonly nodeId: number;
  readonly route: string; // a prefix, or EXIT_NODE_SELECTOR
  readonly advertised: boolean;
  readonly approved: boolean;
  readonly primary: boolean;
  readonly online: boolean;
}

export function routeRows(routes: readonly RouteView[]): RouteRow[] {
  const rows: RouteRow[] = [];
  for (const route of routes) {
    if (!EXIT_ROUTES.includes(route.prefix)) {
      rows.push({ node: route.node, nodeId: route.nodeId, route: route.prefix, advertised: route.advertised, approved: route.approved, primary: route.primary, online: route.online });
      continue;
    }
    const index = rows.findIndex((row) => row.nodeId === route.nodeId && row.route === EXIT_NODE_SELECTOR);
    const exit = { node: route.node, nodeId: route.nodeId, route: EXIT_NODE_SELECTOR, advertised: route.advertised, approved: route.approved, primary: route.primary, online: route.online };
    if (index === -1) rows.push(exit);
    else {
      const other = rows[index]!;
      rows[index] = { ...exit, advertised: other.advertised || exit.advertised, approved: other.approved && exit.approved, primary: other.primary && exit.primary };
    }
  }
  return rows;
}

function RouteAction(props: { row: RouteRow; csrfToken: string; action: "approve" | "reject" }) {
  return (
    <form method="post" action={`/routes/${props.action}`} class="inline">
      <CsrfField token={props.csrfToken} />
      <input type="hidden" name="node" value={String(props.row.nodeId)} />
      <input type="hidden" name="route" value={props.row.route} />
      <button type="submit" class={props.action === "reject" ? "small danger" : "small"}>
        {props.action === "approve" ? "Approve" : "Reject"}
      </button>
    </form>
  );
}

const yesNo = (value: boolean): string => (value ? "yes" : "no");

export function RouteTable(props: { routes: readonly RouteView[]; csrfToken: string }) {
  const rows = routeRows(props.routes);
  if (rows.length === 0) return <p class="muted">No node advertises a route yet.</p>;
  return (
    <table class="responsive">
      <thead>
        <tr>
          <th>Node</th>
          <th>Route</th>
          <th>Advertised</th>
          <th>Approved</th>
          <th>Primary</th>
          <th>Actions</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr>
            <td data-label="Node">
              <span class={row.online ? "badge online" : "badge offline"}>{row.online ? "online" : "offline"}</span> {row.node}
            </td>
            <td data-label="Route">{row.route === EXIT_NODE_SELECTOR ? "exit node" : <code>{row.route}</code>}</td>
            <td data-label="Advertised">{yesNo(row.advertised)}</td>
            <td data-label="Approved" class={row.advertised && !row.approved ? "warning" : undefined}>
              {yesNo(row.approved)}
            </td>
            <td data-label="Primary">{yesNo(row.primary)}</td>
            <td data-label="Actions" class="row-actions">
              {row.advertised && !row.approved ? <RouteAction row={row} csrfToken={props.csrfToken} action="approve" /> : null}
              {row.approved ? <RouteAction row={row} csrfToken={props.csrfToken} action="reject" /> : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
