// The README is for people who have only this project: every link in it points to a file of
// the project (no ../ outside it, nothing missing), and the design document it names exists.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

// Markdown links [text](target) that are not web addresses or anchors.
function localLinks(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!).filter((target) => !/^(https?:|mailto:|#)/.test(target));
}

test("every link in README.md stays inside the project and names a file that exists", () => {
  const links = localLinks(readFileSync(resolve(ROOT, "README.md"), "utf8"));
  assert.ok(links.length >= 3, `found the README's links (${links.join(", ")})`);
  const broken = links.filter((target) => {
    const path = resolve(ROOT, target.split("#")[0]!);
    return relative(ROOT, path).startsWith("..") || !existsSync(path);
  });
  assert.deepEqual(broken, []);
  assert.ok(links.includes("src/DESIGN.md"), "the README links the design document");
});

test("the check catches a link out of the project (it can fail)", () => {
  assert.deepEqual(localLinks("see [the notes](../shared/ARCHITECTURE.md) and [web](https://x.org) [a](#b)"), ["../shared/ARCHITECTURE.md"]);
});
