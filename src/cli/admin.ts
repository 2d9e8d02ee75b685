// The admin page's password from a shell:
//   meshgate admin passwd [--state-dir DIR]    the new password on stdin (asked twice, unechoed, at a terminal)
// It writes the same file the page uses (src/daemon/admin-auth.ts); a running page ends every
// session at once. DIR is the appliance's state directory (/var/lib/meshgate for `meshgate
// start` as root), or a node's (`meshgate up --state-dir`); the files are in DIR/admin.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { passwordProblem } from "../admin/password.js";
import { writeAdminPassword } from "../daemon/admin-auth.js";
import { createSystemRandom } from "../io/system-random.js";
import { parseArguments, UsageError } from "./options.js";

export const ADMIN_USAGE = [
  "Usage: meshgate admin passwd [--state-dir DIR]   set the admin page's password (from stdin)",
  "",
  "DIR: the appliance's state directory (default /var/lib/meshgate, as meshgate start uses as root),",
  "or a node's (meshgate up --state-dir). Every session of the page ends.",
].join("\n");

export const adminStateDirectory = (stateDir: string): string => join(stateDir, "admin");

// A line typed at a terminal without echo (raw mode: Enter ends it, Ctrl-C aborts).
function askUnechoed(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const input = process.stdin;
    process.stderr.write(prompt);
    input.setRawMode(true);
    input.resume();
    let typed = "";
    const onData = (chunk: Buffer): void => {
      for (const character of chunk.toString("utf8")) {
        if (character === "\r" || character === "\n") return finish(null);
        if (character === "\u0003") return finish(new Error("cancelled"));
        if (character === "\u007f") typed = typed.slice(0, -1);
        else typed += character;
      }
    };
    const finish = (error: Error | null): void => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write("\n");
      if (error === null) resolve(typed);
      else reject(error);
    };
    input.on("data", onData);
  });
}

export async function readNewPassword(): Promise<string> {
  if (!process.stdin.isTTY) return readFileSync(0, "utf8").split(/\r?\n/)[0] ?? "";
  const first = await askUnechoed("new admin password: ");
  const problem = passwordProblem(first);
  if (problem !== null) throw new UsageError(`the password is too weak: ${problem}`);
  if ((await askUnechoed("again: ")) !== first) throw new UsageError("the two passwords differ; nothing changed");
  return first;
}

export async function runAdmin(args: readonly string[], write: (line: string) => void): Promise<number> {
  const [action, ...rest] = args;
  const parsed = parseArguments(rest, { "state-dir": "string" });
  if (action !== "passwd" || parsed.operands.length > 0) throw new UsageError(ADMIN_USAGE);
  const stateDir = parsed.strings["state-dir"] ?? "/var/lib/meshgate";
  const password = await readNewPassword();
  const problem = passwordProblem(password);
  if (problem !== null) throw new UsageError(`the password is too weak: ${problem} (nothing changed)`);
  const random = createSystemRandom();
  await writeAdminPassword(adminStateDirectory(stateDir), password, (bytes) => random.bytes(bytes));
  write(`the admin password is set (${join(adminStateDirectory(stateDir), "admin-password")}); every session of the page has ended`);
  return 0;
}
