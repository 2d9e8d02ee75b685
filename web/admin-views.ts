// The shapes the page shows, named once. web/ may import only src/admin/admin-api.ts, so these
// are read off the AdminApi's signatures rather than imported from src/mesh: when the admin
// interface changes, these change with it and the compiler points at every view it breaks.

import type { AdminApi, CoordinatorAdminApi } from "../src/admin/admin-api.js";

export type NodeStatus = NonNullable<Awaited<ReturnType<AdminApi["node"]>>>;
export type PeerView = NodeStatus["peers"][number];
export type CoordinatorState = NodeStatus["coordinator"]["state"];
export type RoutingView = NonNullable<NodeStatus["routing"]>;
export type RoutingPrefs = Awaited<ReturnType<AdminApi["changeRouting"]>>;
export type RoutingPrefsChange = Parameters<AdminApi["changeRouting"]>[0];
export type NodeView = Awaited<ReturnType<CoordinatorAdminApi["listNodes"]>>[number];
export type AuthKeyView = Awaited<ReturnType<CoordinatorAdminApi["listKeys"]>>[number];
export type RouteView = Awaited<ReturnType<CoordinatorAdminApi["listRoutes"]>>[number];
