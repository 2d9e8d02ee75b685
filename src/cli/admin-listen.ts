// --admin-listen as the commands take it (src/daemon/admin-page.ts says what the default is and why).

import { readFileSync } from "node:fs";
import { AdminListenError, DEFAULT_ADMIN_LISTEN, parseAdminListen, type AdminListen } from "../daemon/admin-page.js";
import { privateIpv4Addresses } from "../io/local-addresses.js";
import { adminSetupCodeFile } from "./admin-page.js";
import { UsageError } from "./options.js";

export const ADMIN_LISTEN_HELP = "--admin-listen HOST:PORT|lan:PORT|off  the admin page (default lan:8081: this machine's private LAN addresses and 127.0.0.1)";

export function adminListenOption(text: string | undefined): AdminListen {
  if (text === undefined) return DEFAULT_ADMIN_LISTEN;
  try {
    return parseAdminListen(text);
  } catch (error) {
    if (error instanceof AdminListenError) throw new UsageError(error.message);
    throw error;
  }
}

// What `meshgate up` prints of the page its daemon serves: the URLs it listens on (the daemon
// resolves lan: the same way, in the same network) and, until a password is set, the setup code.
export function adminPageLines(listen: AdminListen, stateDir: string, meshInterfaces: readonly string[]): string[] {
  if (listen.kind === "off") return [];
  const hosts = listen.kind === "lan" ? [...privateIpv4Addresses(meshInterfaces), "127.0.0.1"] : [listen.host];
  const lines = [`admin page        http://${hosts[0]!.includes(":") ? `[${hosts[0]}]` : hosts[0]}:${listen.port}/`];
  const code = readSetupCode(adminSetupCodeFile(stateDir));
  if (code !== null) lines.push(`setup code        ${code}  (one-time: set the admin password on the page, or meshgate admin passwd --state-dir ${stateDir})`);
  return lines;
}

function readSetupCode(path: string): string | null {
  try {
    return readFileSync(path, "utf8").trim() || null;
  } catch {
    return null;
  }
}
