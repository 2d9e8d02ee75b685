// Board health: CPU temperature and load, memory, disk use of the state directory's
// filesystem, uptime, and on a Raspberry Pi the firmware's throttling and under-voltage flags
// (now, and since boot) as warnings — an under-powered Pi corrupts SD cards and drops packets.

import type { BoardHealth, ThrottleFlags } from "../../src/admin/admin-api.js";
import { formatBytes, formatDuration } from "../format.js";
import { Layout, type Nav } from "./layout.js";
import { LiveRegion } from "./live-region.js";

export const HEALTH_LIVE_PATH = "/live/health";

// The Pi 4/5 start soft-throttling at 80 °C (85 °C hard): warn before that.
const HOT_C = 75;

const FLAG_TEXT: Readonly<Record<keyof ThrottleFlags, string>> = {
  underVoltage: "under-voltage (the power supply gives too little: use the official one)",
  frequencyCapped: "ARM frequency capped",
  throttled: "throttled",
  softTemperatureLimit: "soft temperature limit reached",
};

function raisedFlags(flags: ThrottleFlags | null): string[] {
  if (flags === null) return [];
  return (Object.keys(FLAG_TEXT) as (keyof ThrottleFlags)[]).filter((flag) => flags[flag]).map((flag) => FLAG_TEXT[flag]);
}

function Usage(props: { label: string; used: number; total: number; detail?: string }) {
  const share = props.total > 0 ? props.used / props.total : 0;
  return (
    <div class="usage">
      <p>
        <strong>{props.label}</strong> {formatBytes(props.used)} of {formatBytes(props.total)} ({Math.round(share * 100)} %){props.detail ? ` · ${props.detail}` : ""}
      </p>
      <meter min={0} max={1} low={0.75} high={0.9} optimum={0} value={share}></meter>
    </div>
  );
}

function PiFlags(props: { pi: NonNullable<BoardHealth["raspberryPi"]> }) {
  const now = raisedFlags(props.pi.now);
  const sinceBoot = raisedFlags(props.pi.sinceBoot);
  return (
    <section class="card">
      <h2>{props.pi.model}</h2>
      {props.pi.now === null && props.pi.sinceBoot === null ? <p class="muted">The firmware reports no throttling flags (vcgencmd is missing).</p> : null}
      {now.map((text) => (
        <p class="warning">Now: {text}</p>
      ))}
      {sinceBoot.map((text) => (
        <p class="warning">Since boot: {text}</p>
      ))}
      {props.pi.now !== null && now.length === 0 && sinceBoot.length === 0 ? <p class="ok">No under-voltage or throttling since boot.</p> : null}
    </section>
  );
}

export function HealthLive(props: { health: BoardHealth }) {
  const { health } = props;
  const temperature = health.cpuTemperatureC;
  const loadPerCpu = health.load[0] / Math.max(1, health.cpuCount);
  return (
    <>
      {health.raspberryPi === null ? null : <PiFlags pi={health.raspberryPi} />}
      <section class="card">
        <dl class="facts">
          <dt>CPU temperature</dt>
          <dd class={temperature !== null && temperature >= HOT_C ? "warning" : undefined}>{temperature === null ? "not reported by this board" : `${temperature.toFixed(1)} °C`}</dd>
          <dt>Load (1, 5, 15 min)</dt>
          <dd class={loadPerCpu > 1 ? "warning" : undefined}>
            {health.load.map((value) => value.toFixed(2)).join(", ")} on {health.cpuCount} CPU{health.cpuCount === 1 ? "" : "s"}
          </dd>
          <dt>Up for</dt>
          <dd>{formatDuration(health.uptimeSeconds)}</dd>
        </dl>
        <Usage label="Memory" used={health.memory.usedBytes} total={health.memory.totalBytes} />
        <Usage label="Disk" used={health.disk.usedBytes} total={health.disk.totalBytes} detail={`the filesystem of ${health.disk.path}`} />
      </section>
    </>
  );
}

export function HealthPage(props: { nav: Nav; flash: string | null; health: BoardHealth }) {
  return (
    <Layout title="Board health" nav={props.nav} flash={props.flash}>
      <LiveRegion src={HEALTH_LIVE_PATH} everySeconds={5}>
        <HealthLive health={props.health} />
      </LiveRegion>
    </Layout>
  );
}
