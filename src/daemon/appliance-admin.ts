// The admin interface (src/admin/admin-api.ts) over what this appliance runs: its node (if
// any), its coordinator (if it is one), the admin credentials, traffic history and board
// health, and what the Pi image's first boot made of meshgate.conf. The admin page (web/) gets this and nothing else. Errors are translated to the
// interface's two kinds: a refusal that names what a person must fix becomes AdminInputError
// (400 beside the field), a request that cannot be carried out now AdminStateError (409).

import { AdminInputError, AdminStateError, type AdminApi, type BoardHealth, type CoordinatorAdminApi, type DevicesApi, type FirstBootReport, type HistoryRange, type TrafficHistory, type UpdatesApi } from "../admin/admin-api.js";
import { readUpdateStatus, runsFromSlot, stageUpload } from "../appliance/update-slots.js";
import { NodeRequestError } from "../mesh/node-api-http.js";
import type { AdminOperations } from "../mesh/admin-operations.js";
import { ControlError } from "../mesh/control-protocol.js";
import { RoutingPrefsError } from "../mesh/routing-prefs.js";
import type { ApplianceAuth } from "./admin-auth.js";
import type { RunningMeshNode } from "./mesh-node.js";

export interface ApplianceAdminDeps {
  readonly auth: ApplianceAuth;
  readonly node: RunningMeshNode | null;
  readonly coordinator: { readonly controlUrl: string; readonly admin: AdminOperations } | null;
  readonly history: (range: HistoryRange) => Promise<TrafficHistory>;
  readonly health: () => Promise<BoardHealth>;
  // The first-boot report (src/appliance/first-boot-report.ts); absent where there can be none.
  readonly firstBoot?: () => FirstBootReport | null;
  readonly softwareVersion: string;
  /** Software updates: where the app runs from a slot of the Raspberry Pi image (applianceUpdates). */
  readonly updates: UpdatesApi | null;
}

// The coordinator's refusals are ControlErrors with a message for people; which field they
// concern is the operation's (a node reference, a key id, a route).
async function translate<T>(field: string, work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ControlError) {
      if (error.status === 400) throw new AdminInputError(field, error.message);
      throw new AdminStateError(error.message);
    }
    throw error;
  }
}

function coordinatorAdmin(controlUrl: string, admin: AdminOperations): CoordinatorAdminApi {
  return {
    controlUrl,
    listNodes: async () => admin.listNodes(),
    removeNode: (reference) => translate("node", () => admin.removeNode(reference)),
    expireNode: (reference) => translate("node", () => admin.expireNode(reference)),
    listKeys: async () => admin.listAuthKeys(),
    async createKey(request) {
      if (request.description.length > 200) throw new AdminInputError("description", "use at most 200 characters");
      if (request.expiresInSeconds !== null && !(Number.isInteger(request.expiresInSeconds) && request.expiresInSeconds > 0)) {
        throw new AdminInputError("expiry", "a positive whole number of seconds, or none");
      }
      const created = await translate("key", () => admin.createAuthKey({
        reusable: request.reusable,
        ephemeral: request.ephemeral,
        expiresInMs: request.expiresInSeconds === null ? null : request.expiresInSeconds * 1000,
        description: request.description,
        user: "admin",
      }));
      return { key: created.key, joinCommand: `meshgate up --coordinator ${controlUrl} --auth-key ${created.key}`, view: created.view };
    },
    revokeKey: (id) => translate("key", () => admin.revokeAuthKey(id)),
    listRoutes: async () => admin.listRoutes(),
    approveRoutes: (node, selector) => translate("routes", () => admin.approveRoutes(node, selector)),
    rejectRoutes: (node, selector) => translate("routes", () => admin.rejectRoutes(node, selector)),
  };
}

// The node's refusals (NodeRequestError) as the admin interface's errors.
async function fromNode<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof NodeRequestError) {
      if (error.status === 400) throw new AdminInputError(error.field ?? "device", error.message);
      throw new AdminStateError(error.message);
    }
    throw error;
  }
}

function devicesAdmin(node: RunningMeshNode): DevicesApi {
  return {
    list: async () => node.devices.list(),
    add: (name) => fromNode(() => node.devices.add(name)),
    remove: async (publicKey) => void (await fromNode(() => node.devices.remove(publicKey))),
  };
}

export function createApplianceAdmin(deps: ApplianceAdminDeps): AdminApi {
  return {
    auth: deps.auth,
    node: async () => deps.node?.status() ?? null,
    async changeRouting(change) {
      if (deps.node === null) throw new AdminStateError("this appliance runs no node (meshgate start as root, or meshgate up, runs one)");
      try {
        return await deps.node.changeRouting(change);
      } catch (error) {
        if (error instanceof RoutingPrefsError) throw new AdminInputError(error.field, error.message);
        throw new AdminStateError(error instanceof Error ? error.message : String(error));
      }
    },
    coordinator: deps.coordinator === null ? null : coordinatorAdmin(deps.coordinator.controlUrl, deps.coordinator.admin),
    history: deps.history,
    health: deps.health,
    metricsToken: () => deps.auth.metricsToken(),
    devices: deps.node === null ? null : devicesAdmin(deps.node),
    ...(deps.firstBoot === undefined ? {} : { firstBoot: async () => deps.firstBoot!() }),
    softwareVersion: deps.softwareVersion,
    ...(deps.updates === null ? {} : { updates: deps.updates }),
  };
}

export interface ApplianceUpdatesOptions {
  readonly rootDir: string; // /opt/meshgate: slots/a, slots/b and the `current` pointer
  readonly stateDir: string; // /var/lib/meshgate: the upload goes to update/incoming.tar.gz
  readonly appDir: string; // the app this process runs (package.json's folder)
  readonly now: () => number;
}

// Updates from the admin page exist only where this process is the app `current` points at: a
// checkout or an npm install has no second slot to install into, nor the root installer
// (meshgate-update.service) that picks the upload up.
export async function applianceUpdates(options: ApplianceUpdatesOptions): Promise<UpdatesApi | null> {
  if (!(await runsFromSlot(options.rootDir, options.appDir))) return null;
  return {
    status: () => readUpdateStatus(options.rootDir, options.stateDir, options.now()),
    stage: (upload) => stageUpload(options.stateDir, upload, options.now()),
  };
}
