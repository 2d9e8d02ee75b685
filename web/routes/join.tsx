// The one-time join link (join-links.ts), open without a session: the token is the secret.
// GET only offers a button, so a chat app that fetches the link for a preview does not use it
// up; the POST shows the join command and its QR code, once.

import { Hono } from "hono";
import type { AdminEnv } from "../app-env.js";
import type { JoinLinks } from "../join-links.js";
import { qrCodeDataUrl } from "../join-qr-code.js";
import { JoinLinkGone, JoinLinkOffer, JoinLinkShown } from "../pages/join-link.js";

export const JOIN_LINK_PATH = "/join";

export function joinRoutes(links: JoinLinks): Hono<AdminEnv> {
  const app = new Hono<AdminEnv>();
  app.get(`${JOIN_LINK_PATH}/:token`, (c) => (links.valid(c.req.param("token")) ? c.html(<JoinLinkOffer />) : c.html(<JoinLinkGone />, 410)));
  app.post(`${JOIN_LINK_PATH}/:token`, async (c) => {
    const joinCommand = links.take(c.req.param("token"));
    if (joinCommand === null) return c.html(<JoinLinkGone />, 410);
    return c.html(<JoinLinkShown joinCommand={joinCommand} qrCodeDataUrl={await qrCodeDataUrl(joinCommand)} />);
  });
  return app;
}
