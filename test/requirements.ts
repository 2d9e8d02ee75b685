// What a test needs from the machine beyond `npm ci` — root, a device, a program on PATH — and
// the one rule for when a piece is missing (issue 8): outside CI the suite is skipped with the
// reason; with CI=true it fails, naming every missing piece, so CI never turns green by
// skipping. Suites that need such a piece are declared with describeNeeding / testNeeding
// (test/requirements.test.ts fails on any other skip), so new suites get the rule for free.

import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { describe, test, type TestContext } from "node:test";

export interface Need {
  readonly what: string; // how messages name it: "root", "/dev/net/tun", "wireguard-go"
  readonly hint: string; // where to get it
  readonly present: () => boolean;
}

export const ROOT: Need = {
  what: "root",
  hint: "network namespaces and TUN devices need it",
  present: () => process.getuid?.() === 0,
};

export function device(path: string, hint: string): Need {
  return { what: path, hint, present: () => existsSync(path) };
}

const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

// A program the tests run by name: looked up on PATH when asked, as execFile will find it.
export function tool(name: string): Need {
  return {
    what: name,
    hint: "see .ci/run for the packages",
    present: () => (process.env.PATH ?? "").split(delimiter).some((dir) => dir !== "" && isExecutable(join(dir, name))),
  };
}

// Something only a probe can tell (an IPv6 loopback, say).
export function capability(what: string, hint: string, present: () => boolean): Need {
  return { what, hint, present };
}

// "needs X (hint); needs Y (hint)" for the missing pieces, or null when nothing is missing.
export function missing(needs: readonly Need[]): string | null {
  const absent = needs.filter((need) => !need.present());
  return absent.length === 0 ? null : absent.map((need) => `needs ${need.what} (${need.hint})`).join("; ");
}

export type Verdict =
  | { readonly kind: "run" }
  | { readonly kind: "skip"; readonly reason: string }
  | { readonly kind: "fail"; readonly reason: string };

// `npm run test:unit` (MESHGATE_TEST_SCOPE=unit) runs every test outside test/interop/, and
// promises they need no root: a suite that does belongs in test/interop/.
export function judge(needs: readonly Need[], env: NodeJS.ProcessEnv = process.env): Verdict {
  if (env.MESHGATE_TEST_SCOPE === "unit" && needs.includes(ROOT)) {
    return { kind: "fail", reason: "this suite needs root, so it belongs in test/interop/ (npm run test:unit runs every other test, unprivileged)" };
  }
  const reason = missing(needs);
  if (reason === null) return { kind: "run" };
  return env.CI === "true" || env.CI === "1" ? { kind: "fail", reason: `CI=${env.CI} and ${reason}` } : { kind: "skip", reason };
}

// describe(), skipped or failed by judge(): a failing suite holds one test that throws the reason.
export function describeNeeding(needs: readonly Need[], title: string, body: () => void): void {
  const verdict = judge(needs);
  if (verdict.kind === "fail") {
    describe(title, () => {
      test(`the machine has what "${title}" needs`, () => {
        throw new Error(verdict.reason);
      });
    });
  } else describe(title, { skip: verdict.kind === "skip" ? verdict.reason : false }, body);
}

// test(), skipped or failed by judge().
export function testNeeding(needs: readonly Need[], title: string, body: (t: TestContext) => void | Promise<void>): void {
  const verdict = judge(needs);
  if (verdict.kind === "fail") {
    test(title, () => {
      throw new Error(verdict.reason);
    });
  } else test(title, { skip: verdict.kind === "skip" ? verdict.reason : false }, body);
}
