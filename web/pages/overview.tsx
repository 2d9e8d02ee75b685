// The overview: this node (name, mesh addresses, the coordinator connection in words) and each
// peer — mesh address, the path its packets take and why not direct, last handshake, traffic
// and current rate.

import type { FirstBootReport } from "../../src/admin/admin-api.js";
import type { CoordinatorState, NodeStatus, PeerView } from "../admin-views.js";
import { formatAge, formatBytes, formatDuration, formatRate } from "../format.js";
import type { Rate } from "../rate-meter.js";
import { Layout, type Nav } from "./layout.js";
import { LiveRegion } from "./live-region.js";

export const OVERVIEW_LIVE_PATH = "/live/overview";

export function coordinatorText(url: string, state: CoordinatorState, now: number): string {
  switch (state.kind) {
    case "connected":
      return `Connected to the coordinator at ${url} (for ${formatDuration((now - state.since) / 1000)}).`;
    case "connecting":
      return `Connecting to the coordinator at ${url}…`;
    case "retrying":
      return `No answer from the coordinator at ${url} (${state.error}); trying again in ${formatDuration(state.retryInMs / 1000)}. The mesh keeps running on the last map it received.`;
    case "cut-off":
      return `Cut off by the coordinator: ${state.error}. This node needs to join again (meshgate up with a new auth key).`;
  }
}

function PathCell(props: { peer: PeerView }) {
  const { peer } = props;
  const rtt = peer.rttMs === null ? "" : ` · ${Math.round(peer.rttMs)} ms`;
  const main = peer.path === "direct" ? `direct ${peer.endpoint ?? ""}${rtt}` : peer.path === "relay" ? `relay ${peer.relay ?? ""}${rtt}` : "no path";
  return (
    <>
      <span class={`path path-${peer.path}`}>{main}</span>
      {peer.pathReason !== null && peer.path !== "direct" ? <span class="muted block">{peer.pathReason}</span> : null}
    </>
  );
}

function PeerRow(props: { peer: PeerView; rate: Rate | null; now: number }) {
  const { peer, rate, now } = props;
  return (
    <tr>
      <td data-label="Peer">
        <span class={peer.online ? "badge online" : "badge offline"}>{peer.online ? "online" : "offline"}</span> <strong>{peer.name}</strong>
      </td>
      <td data-label="Mesh address">
        {peer.ipv4}
        <span class="muted block">{peer.ipv6}</span>
      </td>
      <td data-label="Path">
        <PathCell peer={peer} />
      </td>
      <td data-label="Handshake">{formatAge(peer.lastHandshakeAt, now)}</td>
      <td data-label="Received" class="number">
        {formatBytes(peer.rxBytes)}
      </td>
      <td data-label="Sent" class="number">
        {formatBytes(peer.txBytes)}
      </td>
      <td data-label="Rate" class="number">
        {rate === null ? "–" : `↓ ${formatRate(rate.rxPerSecond)} ↑ ${formatRate(rate.txPerSecond)}`}
      </td>
    </tr>
  );
}

/** The live part of the overview (also the answer of OVERVIEW_LIVE_PATH). */
export function OverviewLive(props: { status: NodeStatus | null; rates: ReadonlyMap<string, Rate | null>; now: number }) {
  const { status, now } = props;
  if (status === null) return <p class="notice">No mesh node runs on this appliance (a coordinator started without root runs none).</p>;
  const self = status.self;
  return (
    <>
      <section class="card">
        <h2>{self === null ? "This node (not joined yet)" : self.name}</h2>
        {self === null ? null : (
          <dl class="facts">
            <dt>Mesh IPv4</dt>
            <dd>{self.ipv4}</dd>
            <dt>Mesh IPv6</dt>
            <dd>{self.ipv6}</dd>
            <dt>Interface</dt>
            <dd>
              {status.interfaceName}, UDP port {status.listenPort}
            </dd>
          </dl>
        )}
        <p class={status.coordinator.state.kind === "connected" ? "ok" : "warning"}>{coordinatorText(status.coordinator.url, status.coordinator.state, now)}</p>
      </section>
      <section>
        <h2>Peers</h2>
        {status.peers.length === 0 ? (
          <p class="muted">No peers yet: other nodes appear here once they join the mesh.</p>
        ) : (
          <table class="responsive">
            <thead>
              <tr>
                <th>Peer</th>
                <th>Mesh address</th>
                <th>Path</th>
                <th>Handshake</th>
                <th class="number">Received</th>
                <th class="number">Sent</th>
                <th class="number">Rate</th>
              </tr>
            </thead>
            <tbody>
              {status.peers.map((peer) => (
                <PeerRow peer={peer} rate={props.rates.get(peer.nodeKey) ?? null} now={now} />
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}

// What the Pi image made of meshgate.conf on the SD card at boot: a warning listing every
// problem when nothing in it was applied; a line saying what was, and any step that failed.
export function FirstBootNotice(props: { report: FirstBootReport | null }) {
  const { report } = props;
  if (report === null) return null;
  if (report.result === "error") {
    return (
      <section class="card first-boot" role="alert">
        <p class="warning">meshgate.conf on the SD card's boot partition has errors; nothing in it was applied:</p>
        <ul>
          {report.errors.map((error) => (
            <li>
              line {error.line}
              {error.field === undefined ? "" : ` (${error.field})`}: {error.message}
            </li>
          ))}
        </ul>
        <p class="muted">Fix these lines in meshgate.conf (the errors are also in meshgate-config-errors.txt beside it) and restart the appliance.</p>
      </section>
    );
  }
  return (
    <section class="first-boot">
      <p class="muted">
        Settings from meshgate.conf applied at {report.at.replace("T", " ").replace(/\.\d+Z$/, " UTC")}: {report.applied.length === 0 ? "nothing to change" : report.applied.join(", ")}.
      </p>
      {report.failed.map((failure) => (
        <p class="warning">
          {failure.step} could not be applied: {failure.message}
        </p>
      ))}
    </section>
  );
}

export function OverviewPage(props: {
  nav: Nav;
  flash: string | null;
  firstBoot?: FirstBootReport | null;
  status: NodeStatus | null;
  rates: ReadonlyMap<string, Rate | null>;
  now: number;
}) {
  return (
    <Layout title="Overview" nav={props.nav} flash={props.flash}>
      <FirstBootNotice report={props.firstBoot ?? null} />
      <LiveRegion src={OVERVIEW_LIVE_PATH} everySeconds={3}>
        <OverviewLive status={props.status} rates={props.rates} now={props.now} />
      </LiveRegion>
    </Layout>
  );
}
