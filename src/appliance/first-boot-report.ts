// <state>/appliance/first-boot.json: what the last boot made of meshgate.conf (FirstBootReport,
// src/admin/admin-api.ts), written by `meshgate appliance first-boot` as root and read by the
// admin page (running as meshgate) to show it. It never holds a secret: the problems name lines
// and fields, not values.

import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FirstBootReport } from "../admin/admin-api.js";

export const applianceDirectory = (stateDir: string): string => join(stateDir, "appliance");
export const firstBootReportFile = (stateDir: string): string => join(applianceDirectory(stateDir), "first-boot.json");

export function writeFirstBootReport(stateDir: string, report: FirstBootReport): string {
  const path = firstBootReportFile(stateDir);
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(report, null, 2)}\n`, { mode: 0o644 });
  renameSync(temporary, path);
  return path;
}

const isText = (value: unknown): value is string => typeof value === "string";

/** The report, or null where there is none (or it is not one: a page must not fail over it). */
export function readFirstBootReport(stateDir: string): FirstBootReport | null {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(firstBootReportFile(stateDir), "utf8"));
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const report = value as Record<string, unknown>;
  if (!isText(report["at"])) return null;
  if (report["result"] === "applied" && Array.isArray(report["applied"]) && report["applied"].every(isText)) {
    const failed = Array.isArray(report["failed"]) ? report["failed"] : [];
    return {
      result: "applied",
      at: report["at"],
      applied: report["applied"],
      failed: failed.filter((item): item is { step: string; message: string } => isText(item?.step) && isText(item?.message)),
    };
  }
  if (report["result"] === "error" && Array.isArray(report["errors"])) {
    const errors = (report["errors"] as unknown[]).filter(
      (item): item is { line: number; field?: string; message: string } =>
        typeof item === "object" && item !== null && typeof (item as { line?: unknown }).line === "number" && isText((item as { message?: unknown }).message),
    );
    return { result: "error", at: report["at"], errors: errors.map((error) => ({ line: error.line, ...(isText(error.field) ? { field: error.field } : {}), message: error.message })) };
  }
  return null;
}
