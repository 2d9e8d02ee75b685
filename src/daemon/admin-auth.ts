// The admin page's credentials on disk, in the admin state directory (0600 files, secret-file.ts):
//   admin-password   the scrypt line (src/admin/password.ts)
//   setup-code       the one-time code, while no password is set: printed by `meshgate start`,
//                    and kept here for whoever owns the board to read (the Pi image shows it)
//   metrics-token    the bearer token /metrics asks for
// `meshgate admin passwd` writes the same password file from another process: the version
// (the file's inode and change time) tells a running page that every session must end.

import { statSync } from "node:fs";
import { join } from "node:path";
import type { AdminAuth } from "../admin/admin-api.js";
import { generateSetupCode, hashPassword, setupCodeMatches, verifyPassword } from "../admin/password.js";
import { adminPasswordFile, saveAdminPasswordHash, setupCodeFile } from "../store/admin-password-file.js";
import { readSecretFile, writeSecretFile } from "../store/secret-file.js";

const MAX_LINE_BYTES = 256;
const text = (bytes: Uint8Array | null): string | null => (bytes === null ? null : Buffer.from(bytes).toString("utf8").trim());

export { adminPasswordFile, setupCodeFile };

export interface ApplianceAuth extends AdminAuth {
  // The code to print, while no password is set.
  readonly setupCode: string | null;
  metricsToken(): string;
}

/** Sets the password file from outside a running page (`meshgate admin passwd`). */
export async function writeAdminPassword(directory: string, password: string, random: (bytes: number) => Uint8Array): Promise<void> {
  saveAdminPasswordHash(directory, await hashPassword(password, random));
}

export function createApplianceAuth(directory: string, random: (bytes: number) => Uint8Array): ApplianceAuth {
  const passwordPath = adminPasswordFile(directory);
  const stored = (): string | null => text(readSecretFile(passwordPath, MAX_LINE_BYTES, "admin password file"));
  let setupCode: string | null = null;
  if (stored() === null) {
    setupCode = generateSetupCode(random);
    writeSecretFile(setupCodeFile(directory), Buffer.from(`${setupCode}\n`), "setup code file");
  }
  const tokenPath = join(directory, "metrics-token");
  let token = text(readSecretFile(tokenPath, MAX_LINE_BYTES, "metrics token file"));
  return {
    get setupCode() {
      return setupCode;
    },
    hasPassword: () => stored() !== null,
    checkSetupCode: (code) => setupCode !== null && stored() === null && setupCodeMatches(setupCode, code),
    async setPassword(password) {
      await writeAdminPassword(directory, password, random);
      setupCode = null;
    },
    async verifyPassword(password) {
      const line = stored();
      return line !== null && verifyPassword(password, line);
    },
    passwordVersion() {
      try {
        const stats = statSync(passwordPath, { bigint: true });
        return Number((stats.ino * 1_000_003n + stats.ctimeNs) % BigInt(Number.MAX_SAFE_INTEGER));
      } catch {
        return 0;
      }
    },
    metricsToken() {
      if (token === null) {
        token = Buffer.from(random(24)).toString("base64url");
        writeSecretFile(tokenPath, Buffer.from(`${token}\n`), "metrics token file");
      }
      return token;
    },
  };
}
