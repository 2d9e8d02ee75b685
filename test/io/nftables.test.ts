// The nft adapter against stand-in programs (no root, no real nftables): the script reaches
// nft's stdin whole with the fixed argv `-f -`, deleting a table is one add-then-delete
// transaction, and failures come back as typed errors — nft's own message, or how to install
// nftables when there is no nft. The real nft is exercised in test/interop/subnet-router.test.ts.

import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { createNftables, NftablesError, NftablesMissingError } from "../../src/io/nftables.js";

const dir = mkdtempSync(join(tmpdir(), "meshgate-nft-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function standIn(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

// Records its arguments (one a line) and its stdin beside itself.
const recorder = standIn("nft-recorder", `printf '%s\\n' "$@" > "$0.args"; cat > "$0.stdin"`);
const recorded = (): { args: string; stdin: string } => ({ args: readFileSync(`${recorder}.args`, "utf8"), stdin: readFileSync(`${recorder}.stdin`, "utf8") });

test("applyScript: nft -f - with the whole script on stdin", async () => {
  const script = `table inet meshgate_x {\n${"  # filler line to outgrow a pipe buffer\n".repeat(5000)}}\n`;
  await createNftables(recorder).applyScript(script);
  assert.deepEqual(recorded(), { args: "-f\n-\n", stdin: script });
});

test("deleteInetTable: declare then delete in one script, so a missing table is no error", async () => {
  await createNftables(recorder).deleteInetTable("meshgate_meshgate0");
  assert.deepEqual(recorded(), { args: "-f\n-\n", stdin: "table inet meshgate_meshgate0 {}\ndelete table inet meshgate_meshgate0\n" });
});

test("deleteInetTable refuses a name that is not an nft identifier, without running nft", async () => {
  const never = standIn("nft-never", `touch "$0.ran"`);
  for (const name of ["", "a b", "x; flush ruleset", "9lives", 'a"b']) {
    await assert.rejects(createNftables(never).deleteInetTable(name), NftablesError, name);
  }
  assert.throws(() => readFileSync(`${never}.ran`), /ENOENT/);
});

test("nft rejecting the script: NftablesError with nft's message", async () => {
  const failing = standIn("nft-failing", `cat > /dev/null; echo "Error: syntax error, unexpected newline" >&2; exit 1`);
  await assert.rejects(createNftables(failing).applyScript("table inet x {\n"), (error: Error) => {
    assert.ok(error instanceof NftablesError && !(error instanceof NftablesMissingError));
    assert.match(error.message, /nft -f failed: Error: syntax error, unexpected newline/);
    return true;
  });
});

test("no nft program: NftablesMissingError saying to install nftables", async () => {
  await assert.rejects(createNftables(join(dir, "no-such-nft")).applyScript("table inet x {}\n"), (error: Error) => {
    assert.ok(error instanceof NftablesMissingError);
    assert.match(error.message, /install nftables/);
    return true;
  });
});

test("nft exiting without reading its input is reported, not a crash (EPIPE)", async () => {
  const early = standIn("nft-early", `exit 3`);
  await assert.rejects(createNftables(early).applyScript("x".repeat(1 << 20)), NftablesError);
});
