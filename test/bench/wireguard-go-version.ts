// Which wireguard-go a binary is, as it reports itself: `wireguard-go --version` prints
// "wireguard-go v0.0.20220316" on its first line.

import { run } from "../interop/netns.js";

export function parseWireguardGoVersion(stdout: string): string {
  const version = /^wireguard-go v(\S+)/.exec(stdout.trim())?.[1];
  if (version === undefined) throw new Error(`unexpected \`wireguard-go --version\` output: ${stdout.slice(0, 200)}`);
  return version;
}

export async function wireguardGoVersion(binary: string): Promise<string> {
  return parseWireguardGoVersion((await run(binary, ["--version"])).stdout);
}
