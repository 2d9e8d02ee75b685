// A part of a page that live.js refreshes: it fetches `src` every `everySeconds` and swaps the
// region's content for the answer (the same component rendered by the server), so the first
// paint and every update come from one template.

import type { Child } from "hono/jsx";

export function LiveRegion(props: { src: string; everySeconds: number; children?: Child }) {
  return (
    <div class="live" data-live-src={props.src} data-live-every={String(props.everySeconds)}>
      {props.children}
    </div>
  );
}
