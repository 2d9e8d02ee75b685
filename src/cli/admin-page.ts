// The admin page on the appliance: its credentials (state-dir/admin), the admin interface over
// what this process runs, the web app (web/), served where --admin-listen says. Used by
// `meshgate start` and `meshgate up`; prints where it is and, on first run, the setup code.

import { join } from "node:path";
import { createAdminApp } from "../../web/app.js";
import type { BoardHealth, HistoryRange, TrafficHistory } from "../admin/admin-api.js";
import { createApplianceAuth, setupCodeFile } from "../daemon/admin-auth.js";
import { serveAdminPage, type AdminListen, type ServedAdminPage } from "../daemon/admin-page.js";
import { createApplianceAdmin } from "../daemon/appliance-admin.js";
import type { RunningMeshNode } from "../daemon/mesh-node.js";
import type { AdminOperations } from "../mesh/admin-operations.js";
import { createSystemRandom } from "../io/system-random.js";
import { adminStateDirectory } from "./admin.js";

export interface AdminPageOptions {
  readonly stateDir: string;
  readonly listen: AdminListen;
  readonly node: RunningMeshNode | null;
  readonly meshInterfaces: readonly string[];
  readonly coordinator: { readonly controlUrl: string; readonly admin: AdminOperations } | null;
  readonly history: (range: HistoryRange) => Promise<TrafficHistory>;
  readonly health: () => Promise<BoardHealth>;
  readonly log: (line: string) => void;
  readonly write: (line: string) => void;
}

// The column the lines of `meshgate start` align to.
const label = (text: string): string => text.padEnd(18);

export async function startAdminPage(options: AdminPageOptions): Promise<ServedAdminPage | null> {
  if (options.listen.kind === "off") {
    options.write(`${label("admin page")}off (--admin-listen off)`);
    return null;
  }
  const random = createSystemRandom();
  const directory = adminStateDirectory(options.stateDir);
  const auth = createApplianceAuth(directory, (bytes) => random.bytes(bytes));
  const api = createApplianceAdmin({ auth, node: options.node, coordinator: options.coordinator, history: options.history, health: options.health });
  const app = createAdminApp(api, { logError: (failure) => options.log(`admin page: ${failure instanceof Error ? (failure.stack ?? failure.message) : String(failure)}`) });
  const page = await serveAdminPage(app, options.listen, options.meshInterfaces);
  if (page === null) return null;
  options.write(`${label("admin page")}${page.urls[0]}${page.urls.length > 1 ? `  (also ${page.urls.slice(1).join(" ")})` : ""}`);
  if (auth.setupCode !== null) {
    options.write(`${label("setup code")}${auth.setupCode}  (one-time: set the admin password on the page; also in ${setupCodeFile(directory)})`);
  }
  return page;
}

export const adminSetupCodeFile = (stateDir: string): string => setupCodeFile(join(stateDir, "admin"));
