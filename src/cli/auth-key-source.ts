// Where `meshgate up` gets an auth key without leaving it in a process's argv, which any local
// user can read in /proc/<pid>/cmdline:
//   --auth-key KEY        convenient, visible while the command runs (and scrubbed from the
//                         foreground daemon's cmdline once started: hideSecretArguments)
//   --auth-key-file PATH  read from a file (systemd, scripts)
//   --auth-key -          read from stdin (a pipe, a password manager)
// The background daemon never gets the key on its command line: `up` hands it over through the
// child's stdin (`--auth-key -`).

import { readFileSync } from "node:fs";
import { UsageError, type ParsedArguments } from "./options.js";

export const AUTH_KEY_OPTIONS = ["auth-key", "auth-key-file"] as const;

function firstLine(text: string, from: string): string {
  const key = text.split("\n")[0]!.trim();
  if (key === "") throw new UsageError(`no auth key in ${from}`);
  return key;
}

// The auth key the options name, or undefined when none was given. `readStdin` reads all of
// stdin (injected so tests need no terminal).
export function readAuthKey(parsed: ParsedArguments, readStdin: () => string): string | undefined {
  const inline = parsed.strings["auth-key"];
  const file = parsed.strings["auth-key-file"];
  if (inline !== undefined && file !== undefined) throw new UsageError("give --auth-key or --auth-key-file, not both");
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (cause) {
      throw new UsageError(`--auth-key-file: cannot read ${file}: ${(cause as NodeJS.ErrnoException).code ?? String(cause)}`);
    }
    return firstLine(text, file);
  }
  if (inline === "-") return firstLine(readStdin(), "stdin");
  return inline;
}

// `args` without the auth-key options and their values (both `--name value` and `--name=value`).
export function withoutAuthKeyOptions(args: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const name = args[i]!.startsWith("--") ? args[i]!.slice(2).split("=")[0]! : "";
    if (!(AUTH_KEY_OPTIONS as readonly string[]).includes(name)) kept.push(args[i]!);
    else if (!args[i]!.includes("=")) i++;
  }
  return kept;
}

// Overwrites this process's command line as /proc shows it (libuv writes the title over the
// original argv memory), so a key typed with --auth-key does not stay readable for the life of
// a foreground daemon. The JS copies in process.argv cannot be wiped; they never leave the heap.
export function hideSecretArguments(title: string): void {
  process.title = title;
}
