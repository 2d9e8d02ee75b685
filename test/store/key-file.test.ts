// The private key file: created 0600 atomically in wg(8)'s format, reused, refused when other
// users may read it or when it holds no key — and the refusal never prints the file's content.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { StoreError } from "../../src/store/errors.js";
import { loadOrCreateKeyFile } from "../../src/store/key-file.js";
import { encodeKey } from "../../src/wireguard/key-base64.js";
import { createNodeX25519 } from "../../src/wireguard/x25519.js";
import { testNeeding, tool } from "../requirements.js";
import { scratchDirectory } from "./scratch-directory.js";

const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
const KEY_TEXT = encodeKey(KEY);

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The same 32 bytes with one of the two padding bits of the 43rd character set: wg(8) rejects
// such a spelling, and so must we (every key has exactly one spelling).
function nonCanonical(text: string): string {
  return `${text.slice(0, 42)}${BASE64[BASE64.indexOf(text[42]!) + 1]}=`;
}

const noGenerate = (): Uint8Array => assert.fail("generate must not be called when the file exists");

function refusal(pattern: RegExp, secret?: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof StoreError, String(error));
    assert.match(error.message, pattern);
    if (secret !== undefined) assert.ok(!error.message.includes(secret), "the message must not show the file's content");
    return true;
  };
}

describe("key file", () => {
  test("created when missing: 0600, base64 + newline, no temporary file left, directory 0700", (t) => {
    const directory = join(scratchDirectory(t), "keys");
    const path = join(directory, "node.key");
    let calls = 0;
    const key = loadOrCreateKeyFile(path, () => (calls++, KEY.slice()));
    assert.deepEqual(key, KEY);
    assert.equal(calls, 1);
    assert.equal(readFileSync(path, "utf8"), `${KEY_TEXT}\n`);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(directory).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(directory), ["node.key"]);
  });

  test("reused when present, without generating", (t) => {
    const path = join(scratchDirectory(t), "node.key");
    loadOrCreateKeyFile(path, () => KEY.slice());
    assert.deepEqual(loadOrCreateKeyFile(path, noGenerate), KEY);
  });

  testNeeding([tool("wg")], "a file written by `wg genkey` is read as is", (t) => {
    const path = join(scratchDirectory(t), "wg.key");
    const text = execFileSync("wg", ["genkey"], { encoding: "utf8" });
    writeFileSync(path, text, { mode: 0o600 });
    const key = loadOrCreateKeyFile(path, noGenerate);
    assert.equal(encodeKey(key), text.trim());
    // And the other way round: wg reads the file meshgate wrote.
    const ours = join(scratchDirectory(t), "ours.key");
    loadOrCreateKeyFile(ours, () => KEY.slice());
    const publicKey = execFileSync("wg", ["pubkey"], { input: readFileSync(ours), encoding: "utf8" }).trim();
    assert.equal(publicKey, encodeKey(createNodeX25519().publicKey(KEY)));
  });

  test("a file other users may access is refused with the chmod to run", (t) => {
    for (const mode of [0o644, 0o640, 0o604, 0o620]) {
      const path = join(scratchDirectory(t), `open-${mode.toString(8)}.key`);
      writeFileSync(path, `${KEY_TEXT}\n`);
      chmodSync(path, mode); // not through writeFileSync's mode, which the umask would trim
      assert.throws(
        () => loadOrCreateKeyFile(path, noGenerate),
        refusal(new RegExp(`accessible to other users \\(mode 0${mode.toString(8)}\\): run \`chmod 600 ${path}\``), KEY_TEXT),
      );
      assert.equal(readFileSync(path, "utf8"), `${KEY_TEXT}\n`, "the file is left alone");
    }
  });

  test("a file without a valid key is refused, not replaced", (t) => {
    const cases: [string, string][] = [
      ["empty", ""],
      ["text", "correct horse battery staple\n"],
      ["a public key line", `PublicKey = ${KEY_TEXT}\n`],
      ["non-canonical last character", `${nonCanonical(KEY_TEXT)}\n`],
      ["43 characters", `${KEY_TEXT.slice(1)}\n`],
      ["two keys", `${KEY_TEXT}\n${KEY_TEXT}\n`],
    ];
    for (const [name, content] of cases) {
      const path = join(scratchDirectory(t), `${name.replaceAll(" ", "-")}.key`);
      writeFileSync(path, content, { mode: 0o600 });
      assert.throws(() => loadOrCreateKeyFile(path, noGenerate), refusal(/does not hold a WireGuard private key .*remove it to have meshgate generate a new key/, KEY_TEXT), name);
      assert.equal(readFileSync(path, "utf8"), content, name);
    }
  });

  test("a directory where the file should be is refused", (t) => {
    const path = join(scratchDirectory(t), "node.key");
    mkdirSync(path, { mode: 0o700 });
    assert.throws(() => loadOrCreateKeyFile(path, noGenerate), refusal(/is not a regular file/));
  });

  test("a generated key of the wrong length writes nothing", (t) => {
    const directory = scratchDirectory(t);
    const path = join(directory, "node.key");
    assert.throws(() => loadOrCreateKeyFile(path, () => new Uint8Array(31)), RangeError);
    assert.deepEqual(readdirSync(directory), []);
  });
});
