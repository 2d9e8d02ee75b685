// The frame of every page: the document head (this origin's stylesheet and scripts only, as
// the Content-Security-Policy demands), the navigation with the logout button, a one-line
// message left by the last action, and the page's content.

import { raw } from "hono/html";
import type { Child } from "hono/jsx";

export type Section = "overview" | "traffic" | "health" | "mesh" | "devices" | "routes" | "settings";

export interface Nav {
  readonly active: Section | null;
  readonly csrfToken: string;
  readonly coordinator: boolean; // the Mesh page exists only where this appliance is the coordinator
  readonly devices: boolean; // the Devices page only where a node runs to host them
}

const SECTIONS: readonly { readonly section: Section; readonly href: string; readonly label: string }[] = [
  { section: "overview", href: "/", label: "Overview" },
  { section: "traffic", href: "/traffic", label: "Traffic" },
  { section: "health", href: "/health", label: "Health" },
  { section: "mesh", href: "/mesh", label: "Mesh" },
  { section: "devices", href: "/devices", label: "Devices" },
  { section: "routes", href: "/routes", label: "Routes" },
  { section: "settings", href: "/settings", label: "Settings" },
];

export function Document(props: { title: string; scripts?: readonly string[]; styles?: readonly string[]; children?: Child }) {
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{props.title} · meshgate</title>
          {(props.styles ?? []).map((href) => (
            <link rel="stylesheet" href={href} />
          ))}
          <link rel="stylesheet" href="/static/app.css" />
          {(props.scripts ?? []).map((src) => (
            <script src={src} defer></script>
          ))}
        </head>
        <body>{props.children}</body>
      </html>
    </>
  );
}

export function CsrfField(props: { token: string }) {
  return <input type="hidden" name="_csrf" value={props.token} />;
}

function Navigation(props: { nav: Nav }) {
  const { nav } = props;
  return (
    <header class="top">
      <a class="brand" href="/">
        meshgate
      </a>
      <nav>
        {SECTIONS.filter((entry) => (entry.section !== "mesh" || nav.coordinator) && (entry.section !== "devices" || nav.devices)).map((entry) => (
          <a href={entry.href} aria-current={entry.section === nav.active ? "page" : undefined}>
            {entry.label}
          </a>
        ))}
      </nav>
      <form method="post" action="/logout" class="logout">
        <CsrfField token={nav.csrfToken} />
        <button type="submit" class="link">
          Log out
        </button>
      </form>
    </header>
  );
}

export function Layout(props: { title: string; nav: Nav; flash?: string | null; scripts?: readonly string[]; styles?: readonly string[]; children?: Child }) {
  return (
    <Document title={props.title} scripts={["/static/live.js", ...(props.scripts ?? [])]} styles={props.styles ?? []}>
      <Navigation nav={props.nav} />
      <main>
        {props.flash ? (
          <p class="flash" role="status">
            {props.flash}
          </p>
        ) : null}
        <h1>{props.title}</h1>
        {props.children}
      </main>
    </Document>
  );
}

// Login, setup and error pages: no navigation (no session to navigate with).
export function BareLayout(props: { title: string; children?: Child }) {
  return (
    <Document title={props.title}>
      <main class="narrow">
        <p class="brand">meshgate</p>
        <h1>{props.title}</h1>
        {props.children}
      </main>
    </Document>
  );
}
