// A fresh directory under os.tmpdir() for one test, removed when the test ends (pass or fail).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";

export function scratchDirectory(t: TestContext): string {
  const directory = mkdtempSync(join(tmpdir(), "meshgate-store-"));
  t.after(() => rmSync(directory, { recursive: true, force: true }));
  return directory;
}
