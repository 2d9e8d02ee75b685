// Private files: sockets are owner-only from the moment they exist (no chmod window), and a state
// directory other users could write is refused with a message that says what to do.

import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { Hono } from "hono";
import { startCoordinator } from "../../src/daemon/coordinator.js";
import { serveUnixSocket } from "../../src/io/http-server.js";
import { ensurePrivateDirectory, listenPrivateSocket, UnsafeDirectoryError } from "../../src/io/private-files.js";

const root = mkdtempSync(join(tmpdir(), "meshgate-private-"));
after(() => rmSync(root, { recursive: true, force: true }));

describe("unix sockets", () => {
  test("a socket is 0600 when it appears, even under a permissive umask", async () => {
    const path = join(root, "a.sock");
    const server = createServer();
    let modeAtBirth = -1;
    // Runs before listenPrivateSocket's own callback: what any local user could see first.
    server.once("listening", () => (modeAtBirth = statSync(path).mode & 0o777));
    const previous = process.umask(0);
    try {
      await listenPrivateSocket(server, path);
    } finally {
      process.umask(previous);
    }
    assert.equal((modeAtBirth & 0o077).toString(8), "0", `no access for group or others (mode ${modeAtBirth.toString(8)})`);
    assert.equal(process.umask(), previous, "the umask is restored");
    await new Promise((resolve) => server.close(resolve));
  });

  test("serveUnixSocket (the admin and status APIs) serves on an owner-only socket", async () => {
    const path = join(root, "b.sock");
    const previous = process.umask(0);
    const running = await serveUnixSocket(new Hono(), path).finally(() => process.umask(previous));
    assert.equal((statSync(path).mode & 0o077).toString(8), "0");
    await running.close();
  });
});

describe("state directories", () => {
  test("a new state directory is made 0700", () => {
    const path = join(root, "new", "state");
    ensurePrivateDirectory(path);
    assert.equal((statSync(path).mode & 0o777).toString(8), "700");
  });

  test("a directory other users can write is refused, naming it and the fix", () => {
    const path = join(root, "open");
    mkdirSync(path);
    chmodSync(path, 0o777);
    assert.throws(() => ensurePrivateDirectory(path), (error: unknown) => {
      assert.ok(error instanceof UnsafeDirectoryError);
      assert.match(error.message, /open is writable by other users \(mode 0777\).*chmod go-w/);
      return true;
    });
    chmodSync(path, 0o755);
    ensurePrivateDirectory(path);
  });

  test("so is one inside a group-writable parent without the sticky bit; a sticky one (/tmp) is fine", () => {
    const parent = join(root, "shared");
    mkdirSync(join(parent, "state"), { recursive: true });
    chmodSync(parent, 0o775);
    assert.throws(() => ensurePrivateDirectory(join(parent, "state")), /shared is writable by other users \(mode 0775\)/);
    chmodSync(parent, 0o1777);
    ensurePrivateDirectory(join(parent, "state"));
  });

  test("a symbolic link in place of the directory is refused", () => {
    const real = join(root, "real");
    mkdirSync(real, { mode: 0o700 });
    symlinkSync(real, join(root, "link"));
    assert.throws(() => ensurePrivateDirectory(join(root, "link")), /not a directory/);
  });

  test("the coordinator refuses a world-writable state directory before it creates anything in it", async () => {
    const path = join(root, "coordinator");
    mkdirSync(path);
    chmodSync(path, 0o777);
    await assert.rejects(startCoordinator({ stateDir: path, listenHost: "127.0.0.1", listenPort: 0, log: () => undefined }), UnsafeDirectoryError);
    assert.throws(() => statSync(join(path, "coordinator.key")), /ENOENT/);
  });
});
