// The admin page on the appliance: its credentials (state-dir/admin), the admin interface over
// what this process runs, the web app (web/), served where --admin-listen says. Used by
// `meshgate start` and `meshgate up`; prints where it is and, on first run, the setup code.

import { createAdminApp } from "../../web/app.js";
import type { FirstBootReport, HistoryRange, TrafficHistory } from "../admin/admin-api.js";
import { readFirstBootReport } from "../appliance/first-boot-report.js";
import { createApplianceAuth, setupCodeFile } from "../daemon/admin-auth.js";
import { AdminListenError, serveAdminPage, type AdminListen, type ServedAdminPage } from "../daemon/admin-page.js";
import { applianceUpdates, createApplianceAdmin } from "../daemon/appliance-admin.js";
import type { RunningMeshNode } from "../daemon/mesh-node.js";
import type { AdminOperations } from "../mesh/admin-operations.js";
import { createSystemRandom } from "../io/system-random.js";
import { createBoardHealthReader } from "../system/board-health.js";
import { adminStateDirectory } from "./admin.js";
import { APP_DIR, packageVersion } from "./package-version.js";
import { DEFAULT_ROOT_DIR } from "./update.js";

export interface AdminPageOptions {
  readonly stateDir: string;
  readonly listen: AdminListen;
  readonly node: RunningMeshNode | null;
  readonly meshInterfaces: readonly string[];
  readonly coordinator: { readonly controlUrl: string; readonly admin: AdminOperations } | null;
  readonly log: (line: string) => void;
  readonly write: (line: string) => void;
  // false: a page that cannot listen (its default port taken) is reported, and the rest runs.
  readonly required: boolean;
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
  const node = options.node;
  // Without a node (a coordinator started without root) there is no traffic to chart.
  const history = async (range: HistoryRange): Promise<TrafficHistory> =>
    node?.history(range) ?? { range, stepSeconds: 0, times: [], total: { rx: [], tx: [] }, peers: [] };
  const health = createBoardHealthReader(options.stateDir);
  // The Pi image's first-boot report sits in the appliance's state directory (none for a node's own).
  const firstBoot = (): FirstBootReport | null => readFirstBootReport(options.stateDir);
  const updates = await applianceUpdates({ rootDir: DEFAULT_ROOT_DIR, stateDir: options.stateDir, appDir: APP_DIR, now: Date.now });
  const api = createApplianceAdmin({ auth, node, coordinator: options.coordinator, history, health: () => health.health(), softwareVersion: packageVersion(), updates, firstBoot });
  const app = createAdminApp(api, { logError: (failure) => options.log(`admin page: ${failure instanceof Error ? (failure.stack ?? failure.message) : String(failure)}`) });
  let page: ServedAdminPage | null;
  try {
    page = await serveAdminPage(app, options.listen, options.meshInterfaces);
  } catch (error) {
    if (options.required || !(error instanceof AdminListenError)) throw error;
    options.write(`${label("admin page")}not served: ${error.message}`);
    return null;
  }
  if (page === null) return null;
  options.write(`${label("admin page")}${page.urls[0]}${page.urls.length > 1 ? `  (also ${page.urls.slice(1).join(" ")})` : ""}`);
  if (auth.setupCode !== null) {
    options.write(`${label("setup code")}${auth.setupCode}  (one-time: set the admin password on the page; also in ${setupCodeFile(directory)})`);
  }
  return page;
}

export const adminSetupCodeFile = (stateDir: string): string => setupCodeFile(adminStateDirectory(stateDir));
