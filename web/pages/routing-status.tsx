// What this node's routing does now, in sentences: each advertised route and whether the
// coordinator approved it and routes it here, the exit node offered, the other nodes' routes
// this node uses (or why not), the exit node it sends internet traffic through, the last error.

import type { RoutingView } from "../admin-views.js";

// "192.168.1.0/24=10.77.1.0/24" is advertised to the mesh as its right-hand side.
const meshPrefix = (route: string): string => route.split("=").at(-1)!;

export function RoutingStatus(props: { routing: RoutingView }) {
  const { routing } = props;
  const advertised = routing.prefs.advertiseRoutes.map((route) => {
    const prefix = meshPrefix(route);
    const state = !routing.approvedRoutes.includes(prefix)
      ? "waiting for approval on the coordinator"
      : routing.primaryRoutes.includes(prefix)
        ? "approved; the mesh routes it here"
        : "approved, standby: another router is primary";
    return { route, state, waiting: !routing.approvedRoutes.includes(prefix) };
  });
  const exit = routing.exitNode;
  return (
    <ul class="status-lines">
      {advertised.map((line) => (
        <li class={line.waiting ? "warning" : undefined}>
          Advertising <code>{line.route}</code>: {line.state}.
        </li>
      ))}
      {routing.prefs.advertiseExitNode ? (
        <li class={routing.exitNodeApproved ? undefined : "warning"}>Offered as exit node: {routing.exitNodeApproved ? "approved" : "waiting for approval on the coordinator"}.</li>
      ) : null}
      {routing.subnetRoutes.map((route) => (
        <li class={route.installed ? undefined : "muted"}>
          <code>{route.prefix}</code> via {route.via}: {route.installed ? "in use" : `not used (${route.reason ?? "unknown reason"})`}.
        </li>
      ))}
      {exit === null ? null : (
        <li class={exit.active && exit.online ? undefined : "warning"}>
          Internet traffic:{" "}
          {exit.active && exit.online
            ? `through exit node ${exit.name ?? exit.requested}${exit.ipv4 === null ? "" : ` (${exit.ipv4})`}${routing.prefs.exitNodeAllowLanAccess ? "; the LAN stays reachable directly" : ""}.`
            : `blocked: ${exit.reason ?? `${exit.requested} is not in use`}. Clear the exit node to go straight out again.`}
        </li>
      )}
      {routing.error === null ? null : <li class="warning">Could not apply the routing: {routing.error}</li>}
      {advertised.length === 0 && !routing.prefs.advertiseExitNode && routing.subnetRoutes.length === 0 && exit === null && routing.error === null ? (
        <li class="muted">This node routes nothing beyond the mesh addresses.</li>
      ) : null}
    </ul>
  );
}
