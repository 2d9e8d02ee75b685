// The admin interface: everything a person may do with the appliance, as the LAN admin page
// (web/) sees it. web/ depends on this file only (types, and the two error classes); the
// appliance implements it over its node, its coordinator, its stores and the board
// (src/daemon/appliance-admin.ts), and tests use a fake. Nothing here does I/O.
//
// Errors: AdminInputError names the field a person must fix (a form shows it beside that field,
// an API call answers 400); AdminStateError is a request that cannot be carried out now (409);
// anything else is the appliance's own failure (500).

import type { AuthKeyView, NodeView, RouteChanges, RouteSelector, RouteView } from "../mesh/coordinator.js";
import type { NodeStatus } from "../mesh/node-status.js";
import type { DeviceView } from "../mesh/node-api-http.js";
import type { RoutingPrefs, RoutingPrefsChange } from "../mesh/routing-prefs.js";

export class AdminInputError extends Error {
  override readonly name = "AdminInputError";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export class AdminStateError extends Error {
  override readonly name = "AdminStateError";
}

// The admin password and the first-run setup code. The password is kept as a scrypt hash by
// the implementation; web/ never sees it.
export interface AdminAuth {
  hasPassword(): boolean;
  /** Whether `code` is the one-time setup code (compared in constant time); valid while no password is set. */
  checkSetupCode(code: string): boolean;
  /** Sets (or changes) the password: AdminInputError("password") when it is too weak. */
  setPassword(password: string): Promise<void>;
  verifyPassword(password: string): Promise<boolean>;
  /** Changes whenever the password does, also from another process (`meshgate admin passwd`): sessions made under another version end. */
  passwordVersion(): number;
}

export interface CreateKeyRequest {
  readonly reusable: boolean;
  readonly ephemeral: boolean;
  readonly expiresInSeconds: number | null;
  readonly description: string;
}

export interface CreatedKey {
  readonly key: string; // shown once
  readonly joinCommand: string; // `meshgate up --coordinator … --auth-key …`
  readonly view: AuthKeyView;
}

// Present where this appliance runs the coordinator.
export interface CoordinatorAdminApi {
  readonly controlUrl: string;
  listNodes(): Promise<NodeView[]>;
  removeNode(reference: string): Promise<NodeView>;
  expireNode(reference: string): Promise<NodeView>;
  listKeys(): Promise<AuthKeyView[]>;
  createKey(request: CreateKeyRequest): Promise<CreatedKey>;
  revokeKey(id: string): Promise<void>;
  listRoutes(): Promise<RouteView[]>;
  approveRoutes(node: string, selector: RouteSelector): Promise<RouteChanges>;
  rejectRoutes(node: string, selector: RouteSelector): Promise<RouteChanges>;
}

export type HistoryRange = "1h" | "24h" | "7d";

// Traffic over a range, in buckets of stepSeconds: bytes per second, averaged per bucket
// (null where no sample fell). `times` are bucket starts, seconds since the Unix epoch.
export interface TrafficHistory {
  readonly range: HistoryRange;
  readonly stepSeconds: number;
  readonly times: readonly number[];
  readonly total: { readonly rx: readonly (number | null)[]; readonly tx: readonly (number | null)[] };
  readonly peers: readonly { readonly name: string; readonly rx: readonly (number | null)[]; readonly tx: readonly (number | null)[] }[];
}

// The Raspberry Pi firmware's throttling flags (vcgencmd get_throttled), now and since boot.
export interface ThrottleFlags {
  readonly underVoltage: boolean;
  readonly frequencyCapped: boolean;
  readonly throttled: boolean;
  readonly softTemperatureLimit: boolean;
}

export interface BoardHealth {
  readonly cpuTemperatureC: number | null; // null where the board reports none
  readonly load: readonly [number, number, number]; // 1, 5, 15 minutes
  readonly cpuCount: number;
  readonly memory: { readonly totalBytes: number; readonly usedBytes: number };
  readonly disk: { readonly path: string; readonly totalBytes: number; readonly usedBytes: number }; // the state directory's filesystem
  readonly uptimeSeconds: number;
  readonly raspberryPi: { readonly model: string; readonly now: ThrottleFlags | null; readonly sinceBoot: ThrottleFlags | null } | null;
}

// A device without meshgate (a phone, a tablet) that reaches the mesh through this appliance
// with the stock WireGuard app; its address comes from the coordinator, like a node's.
export type { DeviceView } from "../mesh/node-api-http.js";

export interface AddedDevice {
  readonly view: DeviceView;
  // The wg-quick file for the WireGuard app: it holds the device's private key, which this
  // appliance does not keep — shown once, as text, a download and a QR code.
  readonly config: string;
  readonly fileName: string; // e.g. "annas-phone.conf"
}

export interface DevicesApi {
  list(): Promise<DeviceView[]>;
  /** AdminInputError("name") for a bad or taken name; AdminStateError when the coordinator cannot be reached. */
  add(name: string): Promise<AddedDevice>;
  /** Revoked everywhere: the mesh drops its address within seconds. */
  remove(publicKey: string): Promise<void>;
}

// What the last boot made of meshgate.conf on the SD card's boot partition (the Pi image's
// first-boot settings, src/appliance/first-boot.ts): applied (with the steps that failed, if
// any), or refused with every problem by line — then nothing in it was applied.
export interface FirstBootProblem {
  readonly line: number;
  readonly field?: string;
  readonly message: string;
}

export type FirstBootReport =
  | { readonly result: "applied"; readonly at: string; readonly applied: readonly string[]; readonly failed: readonly { readonly step: string; readonly message: string }[] }
  | { readonly result: "error"; readonly at: string; readonly errors: readonly FirstBootProblem[] };
// Software updates, where the app runs from one of the Raspberry Pi image's two slots
// (/opt/meshgate/slots/a|b, /opt/meshgate/current pointing at one; src/appliance/update-install.ts).

/** The largest update bundle the appliance takes (a bundle is ~50 MiB: the node runtime, the app and its modules). */
export const MAX_UPDATE_BUNDLE_BYTES = 512 * 1024 * 1024;

export interface UpdateSlot {
  readonly slot: string; // "a" or "b"
  readonly version: string | null; // null: the slot is empty or unreadable
}

// What the last update came to (written by the root check after the restart).
export interface UpdateResult {
  readonly result: "installed" | "rolled-back";
  readonly version: string;
  readonly previousVersion: string | null;
  readonly reason: string | null; // why it was rolled back
  readonly at: number; // seconds since the Unix epoch
}

export interface UpdateStatus {
  readonly current: UpdateSlot;
  readonly other: UpdateSlot;
  /** An update under way (installed, waiting for the new version to come up healthy). */
  readonly pending: { readonly version: string; readonly slot: string; readonly previousVersion: string; readonly startedAt: number } | null;
  /** An uploaded bundle waiting for the root installer. */
  readonly incoming: boolean;
  readonly lastResult: UpdateResult | null;
}

export interface UpdatesApi {
  status(): Promise<UpdateStatus>;
  /**
   * Hands an uploaded bundle to the root installer (a systemd path unit starts it): AdminInputError("bundle")
   * when it is empty, over MAX_UPDATE_BUNDLE_BYTES or not gzip; AdminStateError while another update is under way.
   */
  stage(upload: { readonly name: string; readonly bytes: Uint8Array }): Promise<void>;
}

export interface AdminApi {
  /** The running meshgate's version (package.json), for GET /healthz and the Settings page. */
  readonly softwareVersion: string;
  readonly auth: AdminAuth;
  /** This appliance's node (null where none runs: a coordinator started without root). */
  node(): Promise<NodeStatus | null>;
  /** Changes the node's routing: AdminInputError naming the field, AdminStateError when no node runs or it cannot be applied. */
  changeRouting(change: RoutingPrefsChange): Promise<RoutingPrefs>;
  /** null where this appliance is not the coordinator. */
  readonly coordinator: CoordinatorAdminApi | null;
  history(range: HistoryRange): Promise<TrafficHistory>;
  health(): Promise<BoardHealth>;
  /** The bearer token /metrics asks for. */
  metricsToken(): string;
  /** Devices without meshgate behind this appliance; null where no node runs. */
  readonly devices: DevicesApi | null;
  /** The Pi image's first-boot report (null: there was no meshgate.conf); absent off the image. */
  readonly firstBoot?: () => Promise<FirstBootReport | null>;
  /** Software updates; absent where meshgate does not run from the image's slots. */
  readonly updates?: UpdatesApi;
}
