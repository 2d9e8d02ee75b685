// A QR code (a new key's join command, a new device's wg-quick file): an SVG made on the
// server (no QR script in the browser), put in an <img> as a data: URL — the
// Content-Security-Policy allows data: images, and an SVG shown through <img> can run nothing.

import { toString as qrCodeSvg } from "qrcode";

export async function qrCodeDataUrl(text: string): Promise<string> {
  // Level M survives a smudged phone screen; the margin is the quiet zone scanners need.
  const svg = await qrCodeSvg(text, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
  return `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}`;
}
