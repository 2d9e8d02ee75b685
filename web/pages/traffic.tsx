// Traffic history: the total and each peer's receive and send rates over 1 h, 24 h or 7 d,
// drawn by traffic.js with uPlot from HISTORY_API_PATH; under the charts, the bytes each moved
// over the range (readable without JavaScript).

import type { HistoryRange, TrafficHistory } from "../../src/admin/admin-api.js";
import { formatBytes } from "../format.js";
import { Layout, type Nav } from "./layout.js";

export const HISTORY_API_PATH = "/api/history";
export const HISTORY_RANGES: readonly HistoryRange[] = ["1h", "24h", "7d"];
const RANGE_LABELS: Readonly<Record<HistoryRange, string>> = { "1h": "1 hour", "24h": "24 hours", "7d": "7 days" };

// Bytes over the range: each bucket's average rate times its length (empty buckets add nothing).
function bytesOver(rates: readonly (number | null)[], stepSeconds: number): number {
  return rates.reduce<number>((sum, rate) => sum + (rate ?? 0) * stepSeconds, 0);
}

function TotalsRow(props: { name: string; rx: readonly (number | null)[]; tx: readonly (number | null)[]; step: number }) {
  return (
    <tr>
      <td data-label="Peer">{props.name}</td>
      <td data-label="Received" class="number">
        {formatBytes(bytesOver(props.rx, props.step))}
      </td>
      <td data-label="Sent" class="number">
        {formatBytes(bytesOver(props.tx, props.step))}
      </td>
    </tr>
  );
}

export function TrafficPage(props: { nav: Nav; flash: string | null; history: TrafficHistory }) {
  const { history } = props;
  return (
    <Layout title="Traffic" nav={props.nav} flash={props.flash} scripts={["/static/uplot.min.js", "/static/traffic.js"]} styles={["/static/uplot.min.css"]}>
      <nav class="tabs" aria-label="Range">
        {HISTORY_RANGES.map((range) => (
          <a href={`/traffic?range=${range}`} aria-current={range === history.range ? "page" : undefined}>
            {RANGE_LABELS[range]}
          </a>
        ))}
      </nav>
      <div id="traffic-charts" class="charts" data-history-src={`${HISTORY_API_PATH}?range=${history.range}`}>
        <noscript>The charts need JavaScript; the totals below do not.</noscript>
      </div>
      <h2>Over the last {RANGE_LABELS[history.range]}</h2>
      <table class="responsive">
        <thead>
          <tr>
            <th>Peer</th>
            <th class="number">Received</th>
            <th class="number">Sent</th>
          </tr>
        </thead>
        <tbody>
          <TotalsRow name="All peers" rx={history.total.rx} tx={history.total.tx} step={history.stepSeconds} />
          {history.peers.map((peer) => (
            <TotalsRow name={peer.name} rx={peer.rx} tx={peer.tx} step={history.stepSeconds} />
          ))}
        </tbody>
      </table>
    </Layout>
  );
}
