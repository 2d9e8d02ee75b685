// The running coordinator's admin socket, as the admin commands (keys, nodes, routes) call it:
// a JSON request, and the answer's message as the error when it refuses.

import { coordinatorAdminSocket } from "../daemon/coordinator.js";
import { requestJson } from "../io/unix-http-client.js";

export const DEFAULT_COORDINATOR_STATE_DIR = "/var/lib/meshgate/coordinator";

export async function callCoordinatorAdmin(stateDir: string, method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await requestJson(coordinatorAdminSocket(stateDir), method, path, body).catch((error: Error) => {
    throw new Error(`cannot reach the coordinator's admin socket (${error.message}); is \`meshgate coordinator\` running with --state-dir ${stateDir}?`);
  });
  if (response.status >= 400) throw new Error(String(response.body["message"] ?? `HTTP ${response.status}`));
  return response.body;
}
