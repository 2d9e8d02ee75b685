// A state directory that belongs to another user is refused (root only: making one needs chown).

import assert from "node:assert/strict";
import { chownSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensurePrivateDirectory } from "../../src/io/private-files.js";
import { ROOT, testNeeding } from "../requirements.js";

testNeeding([ROOT], "a state directory owned by another user is refused", () => {
  const root = mkdtempSync(join(tmpdir(), "meshgate-private-"));
  try {
    const theirs = join(root, "theirs");
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, 4242, 4242);
    assert.throws(() => ensurePrivateDirectory(theirs), /belongs to uid 4242, not this user \(0\) or root/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
