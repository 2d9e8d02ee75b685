// Runs a program with an argv array (never a shell string) and hands back its exit status and
// output, for code that takes its commands as an injected runner (tests pass a fake).

import { execFile } from "node:child_process";

export interface CommandResult {
  readonly code: number; // the exit status; 127 where the program is not installed
  readonly stdout: string;
  readonly stderr: string;
}

export type CommandRunner = (argv: readonly string[], options?: { readonly timeoutMs?: number }) => Promise<CommandResult>;

// A tar listing of node_modules runs to a few MiB.
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export const runCommand: CommandRunner = (argv, options = {}) =>
  new Promise((resolve) => {
    const [program, ...args] = argv;
    execFile(program!, args, { timeout: options.timeoutMs ?? 0, maxBuffer: MAX_OUTPUT_BYTES, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error === null) return resolve({ code: 0, stdout, stderr });
      const failure = error as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
      if (failure.code === "ENOENT") return resolve({ code: 127, stdout, stderr: `${program}: not installed` });
      const code = typeof failure.code === "number" ? failure.code : 1;
      resolve({ code, stdout, stderr: stderr || error.message });
    });
  });
