// web/ depends on src/ only through the admin interface (ARCHITECTURE: "depends only on an
// AdminApi interface from src/"): every import of a web/ file — type-only ones too, the
// interface is the whole contract — is a package, node: built-in, another web/ file, or
// src/admin/admin-api.ts.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../.."); // from dist/test/web
const ALLOWED_SRC = "src/admin/admin-api.ts";

// Every specifier a source imports or re-exports (static and dynamic, type-only included).
function importsOf(source: string): string[] {
  const pattern = /\b(?:from|import)\s*\(?\s*["']([^"']+)["']/g;
  return [...source.matchAll(pattern)].map((match) => match[1]!);
}

function violations(files: readonly string[], root: string, read: (file: string) => string): string[] {
  const found: string[] = [];
  for (const file of files) {
    for (const specifier of importsOf(read(file))) {
      if (!specifier.startsWith(".")) continue;
      const target = relative(root, resolve(dirname(file), specifier.replace(/\.js$/, ".ts"))).split(sep).join("/");
      if (target.startsWith("web/") || target === ALLOWED_SRC) continue;
      found.push(`${relative(root, file)} imports ${specifier}`);
    }
  }
  return found;
}

function sourcesOf(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourcesOf(path);
    return /\.tsx?$/.test(entry.name) ? [path] : [];
  });
}

test("web/ imports from src/ only src/admin/admin-api.ts", () => {
  const files = sourcesOf(join(ROOT, "web"));
  assert.ok(files.length >= 20, `found web/'s sources (${files.length})`);
  assert.ok(files.some((file) => readFileSync(file, "utf8").includes("src/admin/admin-api.js")), "some file does import the admin interface");
  assert.deepEqual(violations(files, ROOT, (file) => readFileSync(file, "utf8")), []);
});

test("the rule catches imports of anything else in src/, type-only and dynamic ones too (it can fail)", () => {
  const fake = new Map<string, string>([
    ["/x/web/a.ts", 'import { AdminInputError } from "../src/admin/admin-api.js";\nimport { b } from "./pages/b.js";\nimport { Hono } from "hono";\n'],
    ["/x/web/pages/b.tsx", 'import type { NodeStatus } from "../../src/mesh/node-status.js";\nexport { x } from "../../src/store/db.js";\n'],
    ["/x/web/c.ts", 'const m = await import("../src/daemon/appliance-admin.js");\nimport "../test/fakes/fake-admin-api.js";\n'],
  ]);
  const found = violations([...fake.keys()], "/x", (file) => fake.get(file)!);
  assert.deepEqual(found, [
    "web/pages/b.tsx imports ../../src/mesh/node-status.js",
    "web/pages/b.tsx imports ../../src/store/db.js",
    "web/c.ts imports ../src/daemon/appliance-admin.js",
    "web/c.ts imports ../test/fakes/fake-admin-api.js",
  ]);
});
