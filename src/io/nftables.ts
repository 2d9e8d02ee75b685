// nftables through `nft -f -`: the script goes in on stdin (no temporary file, nothing on a
// command line to quote), the argv is fixed, and nft applies a script as one transaction, so
// a rejected script changes nothing. What the rules say is src/router's business.

import { execFile } from "node:child_process";

const NFT_TIMEOUT_MS = 10_000;

// An nft identifier as meshgate names its tables: nothing to escape inside a script.
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export class NftablesError extends Error {
  override readonly name: string = "NftablesError";
}

export class NftablesMissingError extends NftablesError {
  override readonly name = "NftablesMissingError";
}

export interface Nftables {
  /** Runs `script` with `nft -f -`: all of it takes effect or none of it. */
  applyScript(script: string): Promise<void>;
  /** Deletes `table inet <name>`; a table that is not there is no error. */
  deleteInetTable(name: string): Promise<void>;
}

// `command` is the nft program (PATH lookup by default; tests pass a stand-in).
export function createNftables(command = "nft"): Nftables {
  const applyScript = (script: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const child = execFile(command, ["-f", "-"], { timeout: NFT_TIMEOUT_MS }, (error, _stdout, stderr) => {
        if (error === null) return resolve();
        if ((error as NodeJS.ErrnoException).code === "ENOENT") {
          return reject(new NftablesMissingError(`${command} not found: install nftables (apt install nftables) to route subnets`));
        }
        reject(new NftablesError(`nft -f failed: ${stderr.trim() || error.message}`));
      });
      // If nft never started or exits early, writing fails too (EPIPE); the exit above reports it.
      child.stdin!.on("error", () => undefined);
      child.stdin!.end(script);
    });
  return {
    applyScript,
    deleteInetTable(name) {
      if (!TABLE_NAME.test(name)) return Promise.reject(new NftablesError(`"${name}" is not an nft table name`));
      // Declaring the table first makes the delete succeed whether or not it existed (nft 1.0.6
      // has no `destroy`), in one transaction.
      return applyScript(`table inet ${name} {}\ndelete table inet ${name}\n`);
    },
  };
}
