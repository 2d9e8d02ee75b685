// Where the admin page's credentials live in the admin state directory (0600 files,
// secret-file.ts): `admin-password` holds the scrypt line (src/admin/password.ts), `setup-code`
// the one-time code while no password is set. Both the running page (src/daemon/admin-auth.ts)
// and the first-boot settings of the Pi image (src/appliance) write the password here.

import { join } from "node:path";
import { removeSecretFile, writeSecretFile } from "./secret-file.js";

export const adminPasswordFile = (directory: string): string => join(directory, "admin-password");
export const setupCodeFile = (directory: string): string => join(directory, "setup-code");

/** Stores an already hashed password line and removes the setup code (a password is set). */
export function saveAdminPasswordHash(directory: string, hashLine: string): void {
  writeSecretFile(adminPasswordFile(directory), Buffer.from(`${hashLine.trim()}\n`), "admin password file");
  removeSecretFile(setupCodeFile(directory));
}
