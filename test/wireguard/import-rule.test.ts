// The protocol core owns no I/O (CONVENTIONS.md habit 1): nothing reachable from src/wireguard
// through runtime imports may load node:net, node:dgram, node:fs, timers, child processes or
// src/io, and no file in it may read the clock or Math.random — `now` and the random source
// are arguments. Type-only imports are allowed: they vanish at compile time.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const FORBIDDEN_MODULES = /^(node:)?(net|dgram|fs|fs\/promises|timers|timers\/promises|child_process|http|https|http2|cluster|worker_threads)$/;
const FORBIDDEN_CALLS = /\b(Date\.now|setTimeout|setInterval|setImmediate|Math\.random|performance\.now|process\.hrtime)\s*\(/;

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

interface Violation {
  readonly file: string;
  readonly problem: string;
}

// Follows relative runtime imports from `entries` and reports forbidden modules and calls.
function checkClosure(entries: string[], read: (file: string) => string): Violation[] {
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
        if (target.includes(`${join("src", "io")}`)) violations.push({ file, problem: `imports ${specifier} (src/io)` });
        queue.push(target);
      } else if (FORBIDDEN_MODULES.test(specifier)) {
        violations.push({ file, problem: `imports ${specifier}` });
      }
    }
    if (file.includes(join("src", "wireguard"))) {
      const call = source.split("\n").find((line) => !line.trim().startsWith("//") && FORBIDDEN_CALLS.test(line));
      if (call !== undefined) violations.push({ file, problem: `calls ${call.trim()}` });
    }
  }
  return violations;
}

test("src/wireguard reaches no I/O module and reads no clock or randomness", () => {
  const directory = join(ROOT, "src", "wireguard");
  const entries = readdirSync(directory).filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")).map((f) => join(directory, f));
  assert.ok(entries.length >= 10, `found the sources (${entries.length} files in ${directory})`);
  const violations = checkClosure(entries, (file) => readFileSync(file, "utf8"));
  assert.deepEqual(violations, []);
});

test("the rule catches a violation (it can fail)", () => {
  const fake = new Map<string, string>([
    ["/x/src/wireguard/a.ts", 'import type { Socket } from "node:dgram";\nimport { b } from "./b.js";\n'],
    ["/x/src/wireguard/b.ts", 'import { readFileSync } from "node:fs";\nexport const b = Date.now();\n'],
    ["/x/src/wireguard/c.ts", 'import { open } from "../io/tun.js";\n'],
    ["/x/src/io/tun.ts", "export const open = 1;\n"],
  ]);
  const violations = checkClosure(["/x/src/wireguard/a.ts", "/x/src/wireguard/c.ts"], (file) => fake.get(file) ?? "");
  const problems = violations.map((v) => v.problem).sort();
  assert.deepEqual(problems, ["calls export const b = Date.now();", "imports ../io/tun.js (src/io)", "imports node:fs"]);
});
