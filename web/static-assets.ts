// The browser's files, read once when the app is created (tsc copies no CSS or JS into dist/,
// so they are read from the source tree: web/static, and uPlot from node_modules) and served
// under /static/ with an ETag, so a phone revalidates instead of downloading uPlot each time.
// No session needed: nothing in them is secret, and the login page uses the stylesheet.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";

interface Asset {
  readonly body: Uint8Array<ArrayBuffer>;
  readonly contentType: string;
  readonly etag: string;
}

const CSS = "text/css; charset=utf-8";
const JS = "text/javascript; charset=utf-8";

// URL path under /static/ → file. This module runs from dist/web/, beside which the source
// tree's web/static sits two levels up.
function assetFiles(): Record<string, { readonly path: string; readonly contentType: string }> {
  const own = (name: string): string => fileURLToPath(new URL(`../../web/static/${name}`, import.meta.url));
  const uplot = (name: string): string => createRequire(import.meta.url).resolve(`uplot/dist/${name}`);
  return {
    "app.css": { path: own("app.css"), contentType: CSS },
    "live.js": { path: own("live.js"), contentType: JS },
    "traffic.js": { path: own("traffic.js"), contentType: JS },
    "uplot.min.css": { path: uplot("uPlot.min.css"), contentType: CSS },
    "uplot.min.js": { path: uplot("uPlot.iife.min.js"), contentType: JS },
  };
}

function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const [name, file] of Object.entries(assetFiles())) {
    const body = new Uint8Array(readFileSync(file.path));
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
    assets.set(name, { body, contentType: file.contentType, etag });
  }
  return assets;
}

export function staticAssets(): Hono {
  const assets = loadAssets();
  const app = new Hono();
  app.get("/static/:name", (c) => {
    const asset = assets.get(c.req.param("name"));
    if (asset === undefined) return c.notFound();
    const headers = { "Content-Type": asset.contentType, ETag: asset.etag, "Cache-Control": "no-cache" };
    if (c.req.header("If-None-Match") === asset.etag) return c.body(null, 304, headers);
    return c.body(asset.body, 200, headers);
  });
  return app;
}
