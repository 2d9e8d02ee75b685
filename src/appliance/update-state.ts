// The files an update leaves in <state>/update/ for the root check that runs after the restart
// (the image's meshgate-update-check.service, a shell script) and for `meshgate update status`
// and the admin page. Formats only; update-install.ts reads and writes them.
//
//   pending.env       written by the installer before it flips `current`, removed by the check:
//                       VERSION=0.1.1
//                       SLOT=b
//                       PREVIOUS_SLOT=a
//                       PREVIOUS_VERSION=0.1.0
//                       STARTED_AT=1767225600          (seconds since the Unix epoch)
//                     one KEY=value a line, values only [A-Za-z0-9._+-] (no quoting needed; the
//                     check should still parse it with a pattern rather than `source` it: the
//                     directory belongs to the meshgate user).
//   last-result.json  written by the check: {"result":"installed"|"rolled-back","version":"0.1.1",
//                     "previousVersion":"0.1.0","reason":null|"…","at":1767225660}
//   incoming.tar.gz   an upload from the admin page, for the root installer (meshgate update --incoming)

import type { UpdateResult, UpdateStatus } from "../admin/admin-api.js";

export const PENDING_FILE = "pending.env";
export const LAST_RESULT_FILE = "last-result.json";
export const INCOMING_FILE = "incoming.tar.gz";

/** A pending.env older than this is a leftover of an installer that died, not an update under way. */
export const PENDING_STALE_AFTER_S = 10 * 60;

const VALUE = /^[A-Za-z0-9._+-]{1,64}$/;

export interface PendingUpdate {
  readonly version: string;
  readonly slot: string;
  readonly previousSlot: string;
  readonly previousVersion: string;
  readonly startedAt: number; // seconds since the Unix epoch
}

export function formatPendingEnv(pending: PendingUpdate): string {
  const lines: [string, string][] = [
    ["VERSION", pending.version],
    ["SLOT", pending.slot],
    ["PREVIOUS_SLOT", pending.previousSlot],
    ["PREVIOUS_VERSION", pending.previousVersion],
    ["STARTED_AT", String(pending.startedAt)],
  ];
  for (const [key, value] of lines) {
    if (!VALUE.test(value)) throw new Error(`${key}=${JSON.stringify(value)} cannot go in ${PENDING_FILE}: only letters, digits and . _ + - are allowed`);
  }
  return lines.map(([key, value]) => `${key}=${value}\n`).join("");
}

/** pending.env's content, or null when it is not one this installer wrote. */
export function parsePendingEnv(text: string): PendingUpdate | null {
  const values = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line);
    if (match !== null && VALUE.test(match[2]!)) values.set(match[1]!, match[2]!);
  }
  const [version, slot, previousSlot, previousVersion, startedAt] = ["VERSION", "SLOT", "PREVIOUS_SLOT", "PREVIOUS_VERSION", "STARTED_AT"].map((key) => values.get(key));
  if (version === undefined || slot === undefined || previousSlot === undefined || previousVersion === undefined || startedAt === undefined || !/^[0-9]+$/.test(startedAt)) return null;
  return { version, slot, previousSlot, previousVersion, startedAt: Number(startedAt) };
}

/** last-result.json's content, or null when it is not such a record. */
export function parseLastResult(text: string): UpdateResult | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== "object" || parsed === null) return null;
  const fields = parsed as Record<string, unknown>;
  const text_ = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);
  const result = fields["result"];
  const version = text_(fields["version"]);
  if ((result !== "installed" && result !== "rolled-back") || version === null || typeof fields["at"] !== "number") return null;
  return { result, version, previousVersion: text_(fields["previousVersion"]), reason: text_(fields["reason"]), at: fields["at"] };
}

const formatTime = (seconds: number): string => new Date(seconds * 1000).toISOString().replace(/\.000Z$/, "Z");

/** `meshgate update status` as lines. */
export function formatUpdateStatus(status: UpdateStatus): string[] {
  const slot = (entry: UpdateStatus["current"]): string => `slot ${entry.slot}  ${entry.version ?? "(empty)"}`;
  const lines = [`running   ${slot(status.current)}`, `other     ${slot(status.other)}`];
  const pending = status.pending;
  lines.push(`pending   ${pending === null ? "none" : `${pending.version} in slot ${pending.slot} (was ${pending.previousVersion}), since ${formatTime(pending.startedAt)}`}`);
  if (status.incoming) lines.push("incoming  an uploaded bundle waits for the installer");
  const last = status.lastResult;
  if (last === null) lines.push("last      no update yet");
  else if (last.result === "installed") lines.push(`last      installed ${last.version}${last.previousVersion === null ? "" : ` (was ${last.previousVersion})`} at ${formatTime(last.at)}`);
  else lines.push(`last      ROLLED BACK ${last.version} at ${formatTime(last.at)}: ${last.reason ?? "no reason given"}`);
  return lines;
}
