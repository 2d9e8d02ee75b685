// The admin page's credentials on disk: the one-time setup code, the password (also set from
// another process), the version that ends sessions, the metrics token.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { adminPasswordFile, createApplianceAuth, setupCodeFile, writeAdminPassword } from "../../src/daemon/admin-auth.js";
import { scratchDirectory } from "../store/scratch-directory.js";

const random = (n: number): Uint8Array => randomBytes(n);

test("first run: a setup code is made and kept in a 0600 file; it works until a password is set", async (t) => {
  const directory = join(scratchDirectory(t), "admin");
  const auth = createApplianceAuth(directory, random);
  const code = auth.setupCode!;
  assert.match(code, /^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  assert.equal(readFileSync(setupCodeFile(directory), "utf8").trim(), code);
  assert.equal(statSync(setupCodeFile(directory)).mode & 0o777, 0o600);
  assert.equal(auth.hasPassword(), false);
  assert.equal(auth.checkSetupCode("WRNG-CODE"), false);
  assert.equal(auth.checkSetupCode(code.toLowerCase()), true);
  assert.equal(auth.passwordVersion(), 0);

  await auth.setPassword("a long enough password");
  assert.equal(auth.hasPassword(), true);
  assert.equal(auth.setupCode, null);
  assert.equal(existsSync(setupCodeFile(directory)), false, "the code is gone once used");
  assert.equal(auth.checkSetupCode(code), false, "and no longer works");
  assert.equal(await auth.verifyPassword("a long enough password"), true);
  assert.equal(await auth.verifyPassword("a long enough passworD"), false);
  assert.equal(statSync(adminPasswordFile(directory)).mode & 0o777, 0o600);
  assert.doesNotMatch(readFileSync(adminPasswordFile(directory), "utf8"), /a long enough/, "only the hash is stored");

  const again = createApplianceAuth(directory, random);
  assert.equal(again.setupCode, null, "a restart with a password makes no new code");
});

test("a password set from another process (meshgate admin passwd) changes the version and is the one that verifies", async (t) => {
  const directory = scratchDirectory(t);
  const auth = createApplianceAuth(directory, random);
  await auth.setPassword("first password here");
  const version = auth.passwordVersion();
  assert.notEqual(version, 0);
  await writeAdminPassword(directory, "second password here", random);
  assert.notEqual(auth.passwordVersion(), version, "every session made before ends");
  assert.equal(await auth.verifyPassword("first password here"), false);
  assert.equal(await auth.verifyPassword("second password here"), true);
});

test("the metrics token is made once and kept", (t) => {
  const directory = scratchDirectory(t);
  const token = createApplianceAuth(directory, random).metricsToken();
  assert.match(token, /^[A-Za-z0-9_-]{32}$/);
  assert.equal(createApplianceAuth(directory, random).metricsToken(), token);
});
