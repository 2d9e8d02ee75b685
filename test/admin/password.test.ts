// The admin password's hash and the setup code.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { AdminInputError } from "../../src/admin/admin-api.js";
import { generateSetupCode, hashPassword, setupCodeMatches, verifyPassword } from "../../src/admin/password.js";

const random = (n: number): Uint8Array => randomBytes(n);

test("a hash verifies its password and no other; two hashes of one password differ (salt)", async () => {
  const stored = await hashPassword("correct horse battery", random);
  assert.match(stored, /^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
  assert.equal(await verifyPassword("correct horse battery", stored), true);
  assert.equal(await verifyPassword("correct horse batterY", stored), false);
  assert.equal(await verifyPassword("", stored), false);
  assert.notEqual(await hashPassword("correct horse battery", random), stored);
});

test("weak passwords are refused naming the field; foreign or absurd hash lines never verify", async () => {
  await assert.rejects(hashPassword("short", random), (error: Error) => error instanceof AdminInputError && error.field === "password" && /at least 10/.test(error.message));
  await assert.rejects(hashPassword("x".repeat(1025), random), /at most 1024/);
  for (const stored of ["", "plain", "$2b$10$abcdefghijklmnopqrstuv", "$scrypt$ln=30,r=8,p=1$AAAA$AAAA", "$scrypt$ln=15,r=8,p=1$!!$AAAA"]) {
    assert.equal(await verifyPassword("anything at all", stored), false, stored);
  }
});

test("setup codes: XXXX-XXXX from an unambiguous alphabet, matched however typed", () => {
  const codes = new Set(Array.from({ length: 200 }, () => generateSetupCode(random)));
  assert.equal(codes.size, 200);
  for (const code of codes) assert.match(code, /^[ACDEFGHJKMNPQRTUVWXY2345679]{4}-[ACDEFGHJKMNPQRTUVWXY2345679]{4}$/);
  const code = [...codes][0]!;
  assert.ok(setupCodeMatches(code, code));
  assert.ok(setupCodeMatches(code, code.toLowerCase().replace("-", " ")));
  assert.ok(!setupCodeMatches(code, code.slice(0, 8)));
  assert.ok(!setupCodeMatches(code, `${code}X`));
  assert.ok(!setupCodeMatches(code, ""));
});
