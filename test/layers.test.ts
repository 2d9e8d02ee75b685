// The layering of ARCHITECTURE (src/DESIGN.md): dependencies point downwards only, and the pure
// layers own no I/O (CONVENTIONS habit 1).
//
// 1. Every folder of src/ is in LAYERS with the folders its runtime imports may reach; a new
//    folder fails this test until someone decides where it sits.
// 2. Pure layers (src/net, src/wireguard, src/mesh, src/nat, src/router, src/admin, src/traffic):
//    nothing reachable from them through runtime imports may load node:net, node:dgram, node:fs,
//    timers, child processes, http or src/io, and no file in them may read a clock, Math.random,
//    or call the global fetch or timers — `now`, the random source, fetch and timers are arguments.
// Type-only imports are allowed anywhere: they vanish at compile time (an adapter in src/io
// may implement an interface a layer above declares).

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const SRC = join(ROOT, "src");

// Which layers each src/ folder may import at run time ("assembly" is assembly/abi.ts).
const LAYERS: Readonly<Record<string, readonly string[]>> = {
  net: [],
  dataplane: ["assembly"],
  io: ["net"],
  wireguard: ["dataplane", "net"],
  store: ["wireguard", "net"],
  nat: ["wireguard", "dataplane", "net"],
  interface: ["wireguard", "dataplane", "io", "net"],
  mesh: ["wireguard", "dataplane", "store", "net"],
  router: ["net"],
  admin: ["mesh", "net"],
  traffic: [],
  system: ["net"],
  jobs: [],
  appliance: ["admin", "mesh", "store", "io", "net"],
  daemon: ["appliance", "admin", "interface", "mesh", "nat", "router", "traffic", "system", "jobs", "store", "wireguard", "dataplane", "io", "net"],
  cli: ["daemon", "appliance", "admin", "interface", "mesh", "nat", "router", "traffic", "system", "jobs", "store", "wireguard", "dataplane", "io", "net"],
};
const PURE = ["net", "wireguard", "mesh", "nat", "router", "admin", "traffic"];

const FORBIDDEN_MODULES = /^(node:)?(net|dgram|fs|fs\/promises|timers|timers\/promises|child_process|http|https|http2|cluster|worker_threads)$/;
const FORBIDDEN_CALLS =
  /\b(Date\.now|setTimeout|setInterval|setImmediate|Math\.random|performance\.now|process\.hrtime)\s*\(|(?<![.\w])fetch\s*\(|new Date\(\s*\)/;

// Runtime import specifiers of a TypeScript source (`import type` and `export type` skipped).
function runtimeImports(source: string): string[] {
  const specifiers: string[] = [];
  const pattern = /^\s*(import|export)\s+(type\s+)?[^;]*?from\s+"([^"]+)"|^\s*import\s+"([^"]+)"/gms;
  for (const match of source.matchAll(pattern)) {
    if (match[2] !== undefined) continue;
    specifiers.push((match[3] ?? match[4])!);
  }
  return specifiers;
}

// The layer a file belongs to: its folder under src/, or "assembly", or null (outside both).
function layerOf(file: string, root: string): string | null {
  const path = relative(root, file).split(sep);
  if (path[0] === "assembly") return "assembly";
  return path[0] === "src" && path.length > 2 ? path[1]! : null;
}

interface Violation {
  readonly file: string;
  readonly problem: string;
}

// Direct runtime imports that point to a layer the importer may not reach.
function checkDirections(files: readonly string[], root: string, read: (file: string) => string): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    const from = layerOf(file, root)!;
    const allowed = LAYERS[from];
    if (allowed === undefined) {
      violations.push({ file, problem: `src/${from} is not in the layer table (test/layers.test.ts): decide which layers it may import` });
      continue;
    }
    for (const specifier of runtimeImports(read(file))) {
      if (!specifier.startsWith(".")) continue;
      const to = layerOf(resolve(dirname(file), specifier), root);
      if (to !== null && to !== from && !allowed.includes(to)) violations.push({ file, problem: `imports ${specifier} (src/${from} may not depend on ${to})` });
    }
  }
  return violations;
}

// Follows relative runtime imports from `entries` and reports I/O modules, src/io and clock reads.
function checkPurity(entries: readonly string[], root: string, read: (file: string) => string): Violation[] {
  const violations: Violation[] = [];
  const seen = new Set<string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const source = read(file);
    for (const specifier of runtimeImports(source)) {
      if (specifier.startsWith(".")) {
        const target = resolve(dirname(file), specifier.replace(/\.js$/, ".ts"));
        if (layerOf(target, root) === "io") violations.push({ file, problem: `imports ${specifier} (src/io)` });
        queue.push(target);
      } else if (FORBIDDEN_MODULES.test(specifier)) {
        violations.push({ file, problem: `imports ${specifier}` });
      }
    }
    if (PURE.includes(layerOf(file, root) ?? "")) {
      const call = source.split("\n").find((line) => !line.trim().startsWith("//") && FORBIDDEN_CALLS.test(line));
      if (call !== undefined) violations.push({ file, problem: `calls ${call.trim()}` });
    }
  }
  return violations;
}

// Every .ts file under `folder`, subfolders included (src/nat/portmap belongs to src/nat).
function sourcesOf(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourcesOf(path);
    return entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

const folders = readdirSync(SRC, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);

test("every src/ folder is in the layer table and imports only layers below it", () => {
  assert.ok(folders.length >= 8, `found the source folders (${folders.join(", ")})`);
  const files = folders.flatMap((folder) => sourcesOf(join(SRC, folder)));
  assert.deepEqual(checkDirections(files, ROOT, (file) => readFileSync(file, "utf8")), []);
});

for (const layer of PURE) {
  test(`src/${layer} reaches no I/O module and reads no clock, randomness, fetch or timer`, () => {
    const entries = sourcesOf(join(SRC, layer));
    assert.ok(entries.length >= 1, `found the sources (${entries.length} files in src/${layer})`);
    assert.deepEqual(checkPurity(entries, ROOT, (file) => readFileSync(file, "utf8")), []);
  });
}

test("the rules catch violations (they can fail)", () => {
  const fake = new Map<string, string>([
    ["/x/src/wireguard/a.ts", 'import type { Socket } from "node:dgram";\nimport { b } from "./b.js";\n'],
    ["/x/src/wireguard/b.ts", 'import { readFileSync } from "node:fs";\nexport const b = Date.now();\n'],
    ["/x/src/wireguard/c.ts", 'import { open } from "../io/tun.js";\n'],
    ["/x/src/io/tun.ts", 'import { parse } from "../wireguard/ip.js";\nexport const open = 1;\n'],
    ["/x/src/mesh/d.ts", 'import type { X } from "../cli/x.js";\nexport const get = () => fetch("http://x/");\nexport const ok = (deps) => deps.fetch("http://x/");\n'],
    ["/x/src/gadgets/e.ts", "export const e = 1;\n"],
  ]);
  const read = (file: string): string => fake.get(file) ?? "";
  const purity = checkPurity(["/x/src/wireguard/a.ts", "/x/src/wireguard/c.ts", "/x/src/mesh/d.ts"], "/x", read).map((v) => v.problem).sort();
  assert.deepEqual(purity, [
    "calls export const b = Date.now();",
    'calls export const get = () => fetch("http://x/");',
    "imports ../io/tun.js (src/io)",
    "imports node:fs",
  ]);
  const directions = checkDirections(["/x/src/io/tun.ts", "/x/src/wireguard/c.ts", "/x/src/mesh/d.ts", "/x/src/gadgets/e.ts"], "/x", read).map((v) => v.problem);
  assert.deepEqual(directions, [
    "imports ../wireguard/ip.js (src/io may not depend on wireguard)",
    "imports ../io/tun.js (src/wireguard may not depend on io)",
    "src/gadgets is not in the layer table (test/layers.test.ts): decide which layers it may import",
  ]);
});
