// Settings: the Prometheus bearer token (with a scrape configuration to copy), software updates
// (software-update.tsx) and the way to change the admin password.

import { Layout, type Nav } from "./layout.js";
import { SoftwareUpdateSection, type SoftwareUpdateProps } from "./software-update.js";

export function SettingsPage(props: { nav: Nav; flash: string | null; metricsToken: string; origin: string; software: Omit<SoftwareUpdateProps, "csrfToken"> }) {
  const scrape = [
    "scrape_configs:",
    "  - job_name: meshgate",
    `    scheme: ${new URL(props.origin).protocol.replace(":", "")}`,
    "    authorization:",
    `      credentials: ${props.metricsToken}`,
    "    static_configs:",
    `      - targets: ["${new URL(props.origin).host}"]`,
  ].join("\n");
  return (
    <Layout title="Settings" nav={props.nav} flash={props.flash}>
      <section class="card">
        <h2>Prometheus metrics</h2>
        <p>
          <code>GET /metrics</code> answers with this token as <code>Authorization: Bearer …</code>; without it, 401.
        </p>
        <p>
          Token: <code class="secret">{props.metricsToken}</code>
        </p>
        <pre>
          <code>{scrape}</code>
        </pre>
      </section>
      <SoftwareUpdateSection {...props.software} csrfToken={props.nav.csrfToken} />
      <section class="card">
        <h2>Admin password</h2>
        <p>
          <a href="/password" class="button">
            Change the password
          </a>
        </p>
      </section>
    </Layout>
  );
}
