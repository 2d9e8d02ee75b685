// This meshgate's version and where its app lives (the folder of package.json: the checkout, or
// /opt/meshgate/slots/<x>/app on the Raspberry Pi image).

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

// dist/src/cli/*.js → the app's folder.
export const APP_DIR = fileURLToPath(new URL("../../../", import.meta.url));

export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
  return manifest.version;
}
