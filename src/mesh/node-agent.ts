// A node's control loop: report where this node can be reached, then long-poll the coordinator
// and hand every new netmap on. While no authentic answer comes (the coordinator is down, or
// something on the path answers in its place) it retries with backoff (1 s doubling to 30 s)
// and the node keeps its last netmap — the mesh does not depend on the coordinator being up.
// Only a refusal sealed by the pinned coordinator saying this node is gone (removed, key
// expired) stops the loop and cuts the node off.

import { ControlRefusal, type ControlClient } from "./control-client.js";
import type { CoordinatorServices, NodeReport } from "./control-protocol.js";
import { applyNetmapUpdate, type Netmap } from "./netmap.js";

export type AgentState =
  | { readonly kind: "connecting" }
  | { readonly kind: "connected"; readonly since: number }
  | { readonly kind: "retrying"; readonly error: string; readonly retryInMs: number }
  | { readonly kind: "cut-off"; readonly code: string; readonly error: string };

export interface NodeAgentDeps {
  readonly client: ControlClient;
  readonly report: () => NodeReport;
  readonly initial: Netmap | null;
  readonly onNetmap: (netmap: Netmap) => void;
  readonly onCutOff: (refusal: ControlRefusal) => void;
  // What the coordinator offers (STUN, relay), from each report's answer.
  readonly onServices?: (services: CoordinatorServices) => void;
  readonly sleep: (ms: number, abort: AbortSignal) => Promise<void>;
  readonly wallClock: () => number;
  readonly log: (line: string) => void;
}

export interface NodeAgent {
  start(): void;
  stop(): void;
  // What report() returns changed (new endpoints): tell the coordinator now, not at the next poll.
  reportChanged(): void;
  readonly state: AgentState;
  readonly netmap: Netmap | null;
}

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;
// Sealed refusals after which polling again cannot help until someone acts.
const CUT_OFF = new Set(["not_registered", "key_expired"]);

export function createNodeAgent(deps: NodeAgentDeps): NodeAgent {
  let netmap = deps.initial;
  let state: AgentState = { kind: "connecting" };
  let controller: AbortController | null = null;
  let reported: string | null = null;
  let reporting: Promise<void> | null = null;

  // Reports when what report() says differs from what the coordinator last took (one report
  // call at a time; the long poll may be open meanwhile).
  const sendReport = async (abort: AbortSignal): Promise<void> => {
    while (reporting !== null) await reporting.catch(() => undefined);
    const report = deps.report();
    const reportText = JSON.stringify(report);
    if (reportText === reported) return;
    reporting = (async () => {
      const answer = await deps.client.call({ op: "report", ...report }, abort);
      reported = reportText;
      if (answer.op === "report" && answer.services !== undefined) deps.onServices?.(answer.services);
    })();
    try {
      await reporting;
    } finally {
      reporting = null;
    }
  };

  const loop = async (abort: AbortSignal): Promise<void> => {
    let retryMs = FIRST_RETRY_MS;
    reported = null;
    while (!abort.aborted) {
      try {
        await sendReport(abort);
        const answer = await deps.client.call({ op: "poll", version: netmap?.version ?? 0 }, abort);
        if (answer.op !== "poll") throw new Error(`expected a poll answer, got ${answer.op}`);
        if (state.kind !== "connected") {
          state = { kind: "connected", since: deps.wallClock() };
          deps.log("connected to the coordinator");
        }
        retryMs = FIRST_RETRY_MS;
        const next = applyNetmapUpdate(netmap, answer.update);
        if (next === null) {
          netmap = null; // a delta we cannot apply: ask for the full map
          continue;
        }
        const changed = netmap === null || next.version !== netmap.version;
        netmap = next;
        if (changed) deps.onNetmap(next);
      } catch (error) {
        if (abort.aborted) return;
        if (error instanceof ControlRefusal && CUT_OFF.has(error.code)) {
          state = { kind: "cut-off", code: error.code, error: error.message };
          deps.log(`the coordinator cut this node off: ${error.message}`);
          deps.onCutOff(error);
          return;
        }
        const message = error instanceof Error ? error.message : String(error);
        state = { kind: "retrying", error: message, retryInMs: retryMs };
        deps.log(`coordinator: ${message}; retrying in ${retryMs / 1000} s (the mesh keeps running)`);
        reported = null;
        await deps.sleep(retryMs, abort).catch(() => undefined);
        retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
      }
    }
  };

  return {
    start() {
      if (controller !== null) return;
      controller = new AbortController();
      void loop(controller.signal);
    },
    stop() {
      controller?.abort();
      controller = null;
    },
    reportChanged() {
      // Between polls the loop reports anyway; a failure here is retried by the loop's next turn.
      if (controller === null || state.kind !== "connected") return;
      void sendReport(controller.signal).catch(() => (reported = null));
    },
    get state() {
      return state;
    },
    get netmap() {
      return netmap;
    },
  };
}
