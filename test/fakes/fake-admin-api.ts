// An in-memory AdminApi for the admin page's tests: a node with two peers, a coordinator with
// nodes, keys and routes, a password kept in clear (it is a fake), and every change recorded so
// a test can see what a request did. Rules the real implementation also has (a weak password,
// an unknown node, a bad route) fail with the same error classes; `failNext` makes the next
// call of the named method throw, for the 409 and 500 paths. Devices (phones with the stock
// WireGuard app) are on unless `devices: false`, which answers `devices: null` (no node runs).

import { AdminInputError, AdminStateError, MAX_UPDATE_BUNDLE_BYTES, type UpdateStatus, type UpdatesApi, type AddedDevice, type AdminApi, type BoardHealth, type CoordinatorAdminApi, type CreatedKey, type DeviceView, type DevicesApi, type FirstBootReport, type HistoryRange, type TrafficHistory } from "../../src/admin/admin-api.js";
import type { AuthKeyView, NodeView, RouteView } from "../../src/mesh/coordinator.js";
import type { NodeStatus, PeerView } from "../../src/mesh/node-status.js";
import type { RoutingPrefs } from "../../src/mesh/routing-prefs.js";

export const FAKE_SETUP_CODE = "setup-4711";
export const FAKE_METRICS_TOKEN = "metrics-token-0123456789abcdef";
export const FAKE_NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

export interface FakeAdminApi extends AdminApi {
  password: string | null;
  version: number;
  status: NodeStatus | null;
  readonly nodes: NodeView[];
  readonly keys: AuthKeyView[];
  readonly routes: RouteView[];
  readonly deviceList: DeviceView[]; // what devices.list() answers (empty-handed when devices is null)
  board: BoardHealth; // what health() answers
  readonly calls: string[]; // "removeNode 2", "changeRouting {...}"
  failNext: { readonly method: string; readonly error: Error } | null;
  firstBootReport: FirstBootReport | null; // what firstBoot() answers
  updateStatus: UpdateStatus; // what updates.status() answers (where `updates: true`)
  readonly staged: { readonly name: string; readonly bytes: Uint8Array }[]; // what updates.stage() took
}

const peer = (name: string, ipv4: string, extra: Partial<PeerView>): PeerView => ({
  name,
  nodeKey: `${name}-key=`,
  ipv4,
  ipv6: `fd7a:115c:a1e0::${ipv4.split(".").at(-1)}`,
  online: true,
  lastHandshakeAt: FAKE_NOW - 42_000,
  handshakes: 4,
  rxBytes: 1_048_576,
  txBytes: 2048,
  path: "direct",
  endpoint: "192.0.2.10:41641",
  relay: null,
  rttMs: 3,
  pathReason: null,
  ...extra,
});

function initialStatus(): NodeStatus {
  return {
    self: { name: "gateway", ipv4: "100.64.0.1", ipv6: "fd7a:115c:a1e0::1", nodeKey: "gateway-key=", keyExpiresAt: null },
    coordinator: { url: "http://192.168.1.2:8080", state: { kind: "connected", since: FAKE_NOW - 3600_000 } },
    interfaceName: "mesh0",
    listenPort: 41641,
    peers: [
      peer("laptop", "100.64.0.2", {}),
      peer("phone", "100.64.0.3", { path: "relay", endpoint: null, relay: "tcp http://192.168.1.2:8080", rttMs: 40, pathReason: "behind a symmetric NAT", lastHandshakeAt: null, online: false }),
    ],
    drops: { no_session: 3, "bad \"mac\"": 1 },
    relay: null,
    routing: {
      prefs: { advertiseRoutes: ["192.168.1.0/24"], advertiseExitNode: false, snatSubnetRoutes: true, acceptRoutes: true, exitNode: null, exitNodeAllowLanAccess: false },
      approvedRoutes: [],
      primaryRoutes: [],
      exitNodeApproved: false,
      subnetRoutes: [{ prefix: "10.0.0.0/24", via: "laptop", installed: false, reason: "inside this node's own network 10.0.0.0/16" }],
      exitNode: null,
      error: null,
    },
  };
}

const node = (id: number, name: string, online: boolean): NodeView => ({
  id,
  name,
  hostname: `${name}.lan`,
  nodeKey: `${name}-key=`,
  ipv4: `100.64.0.${id}`,
  ipv6: `fd7a:115c:a1e0::${id}`,
  endpoints: [],
  lastSeenAt: FAKE_NOW - 5000,
  keyExpiresAt: FAKE_NOW + 30 * 86_400_000,
  ephemeral: false,
  createdAt: FAKE_NOW - 86_400_000,
  online,
  expired: false,
});

const route = (nodeId: number, nodeName: string, prefix: string, approved: boolean): RouteView => ({ node: nodeName, nodeId, prefix, advertised: true, approved, primary: approved, online: true });

function history(range: HistoryRange): TrafficHistory {
  const step = range === "1h" ? 10 : range === "24h" ? 300 : 3600;
  const times = [0, 1, 2].map((i) => Math.floor(FAKE_NOW / 1000) - (3 - i) * step);
  return { range, stepSeconds: step, times, total: { rx: [100, null, 300], tx: [10, 20, null] }, peers: [{ name: "laptop", rx: [100, null, 300], tx: [10, 20, null] }] };
}

// A device's fake public key: 32 bytes of `seed`, base64 — "+", "/" and "=" included, as in real keys.
export const fakeDeviceKey = (seed: number): string => Buffer.alloc(32, seed).toString("base64");

const device = (name: string, seed: number, extra: Partial<DeviceView>): DeviceView => ({
  name,
  publicKey: fakeDeviceKey(seed),
  ipv4: `100.64.1.${seed}`,
  ipv6: `fd7a:115c:a1e0::1:${seed}`,
  lastHandshakeAt: FAKE_NOW - 75_000,
  rxBytes: 5 * 1_048_576,
  txBytes: 300_000,
  endpoint: "198.51.100.7:51820",
  ...extra,
});

// A wg-quick file as the appliance writes one: ~370 bytes with the preshared key, so the QR
// code is as dense as a real one.
function deviceConfig(view: DeviceView): string {
  return [
    "[Interface]",
    `PrivateKey = ${Buffer.alloc(32, 0x40 + (view.ipv4.length % 16)).toString("base64")}`,
    `Address = ${view.ipv4}/32, ${view.ipv6}/128`,
    "DNS = 100.100.100.100",
    "",
    "[Peer]",
    "PublicKey = gatewayPublicKeyGatewayPublicKeyGatewayPubk=",
    "PresharedKey = presharedKeyPresharedKeyPresharedKeyPresha=",
    "AllowedIPs = 100.64.0.0/10, fd7a:115c:a1e0::/48",
    "Endpoint = 203.0.113.1:41641",
    "PersistentKeepalive = 25",
    "",
  ].join("\n");
}

export function createFakeAdminApi(options: { coordinator?: boolean; devices?: boolean; password?: string | null; updates?: boolean } = {}): FakeAdminApi {
  const calls: string[] = [];
  const nodes = [node(1, "gateway", true), node(2, "laptop", true), node(3, "phone", false)];
  const keys: AuthKeyView[] = [
    { id: "kaaaa1111", reusable: true, ephemeral: false, expiresAt: FAKE_NOW + 86_400_000, revokedAt: null, usedCount: 2, createdAt: FAKE_NOW - 3600_000, description: "family", usable: true },
  ];
  const deviceList = [device("Anna's phone", 0xfb, {}), device("tablet", 0xfc, { lastHandshakeAt: null, rxBytes: 0, txBytes: 0, endpoint: null })];
  const routes = [route(1, "gateway", "192.168.1.0/24", false), route(2, "laptop", "0.0.0.0/0", false), route(2, "laptop", "::/0", false)];

  // Throws the injected failure when `method` is the one named.
  const check = (method: string): void => {
    if (fake.failNext?.method !== method) return;
    const { error } = fake.failNext;
    fake.failNext = null;
    throw error;
  };
  const findNode = (reference: string): NodeView => {
    const found = nodes.find((candidate) => String(candidate.id) === reference || candidate.name === reference);
    if (found === undefined) throw new AdminInputError("node", `no node "${reference}"`);
    return found;
  };
  const selectRoutes = (reference: string, selector: readonly string[] | "exit-node" | "all"): RouteView[] => {
    const owned = routes.filter((candidate) => candidate.nodeId === findNode(reference).id);
    if (selector === "all") return owned;
    if (selector === "exit-node") return owned.filter((candidate) => candidate.prefix === "0.0.0.0/0" || candidate.prefix === "::/0");
    const chosen = owned.filter((candidate) => selector.includes(candidate.prefix));
    if (chosen.length !== selector.length) throw new AdminInputError("route", `${findNode(reference).name} does not advertise ${selector.join(", ")}`);
    return chosen;
  };
  const setApproved = (reference: string, selector: readonly string[] | "exit-node" | "all", approved: boolean) => {
    const chosen = selectRoutes(reference, selector);
    const changed = chosen.filter((candidate) => candidate.approved !== approved);
    for (const candidate of changed) routes[routes.indexOf(candidate)] = { ...candidate, approved, primary: approved };
    return { node: findNode(reference).name, changed: changed.map((c) => c.prefix), unchanged: chosen.filter((c) => !changed.includes(c)).map((c) => c.prefix), routes: [] };
  };

  const coordinator: CoordinatorAdminApi = {
    controlUrl: "http://192.168.1.2:8080",
    listNodes: async () => nodes.slice(),
    async removeNode(reference) {
      check("removeNode");
      const removed = findNode(reference);
      nodes.splice(nodes.indexOf(removed), 1);
      calls.push(`removeNode ${reference}`);
      return removed;
    },
    async expireNode(reference) {
      check("expireNode");
      const found = findNode(reference);
      const expired = { ...found, keyExpiresAt: FAKE_NOW, expired: true, online: false };
      nodes[nodes.indexOf(found)] = expired;
      calls.push(`expireNode ${reference}`);
      return expired;
    },
    listKeys: async () => keys.slice(),
    async createKey(request): Promise<CreatedKey> {
      check("createKey");
      const id = `k${String(keys.length + 1).padStart(8, "0")}`;
      const view: AuthKeyView = {
        id,
        reusable: request.reusable,
        ephemeral: request.ephemeral,
        expiresAt: request.expiresInSeconds === null ? null : FAKE_NOW + request.expiresInSeconds * 1000,
        revokedAt: null,
        usedCount: 0,
        createdAt: FAKE_NOW,
        description: request.description,
        usable: true,
      };
      keys.push(view);
      calls.push(`createKey ${JSON.stringify(request)}`);
      const key = `mgk-${id}-secret`;
      return { key, joinCommand: `meshgate up --coordinator http://192.168.1.2:8080 --auth-key ${key}`, view };
    },
    async revokeKey(id) {
      check("revokeKey");
      const index = keys.findIndex((key) => key.id === id && key.revokedAt === null);
      if (index === -1) throw new AdminInputError("key", `no usable auth key "${id}"`);
      keys[index] = { ...keys[index]!, revokedAt: FAKE_NOW, usable: false };
      calls.push(`revokeKey ${id}`);
    },
    listRoutes: async () => routes.slice(),
    async approveRoutes(reference, selector) {
      check("approveRoutes");
      calls.push(`approveRoutes ${reference} ${JSON.stringify(selector)}`);
      return setApproved(reference, selector, true);
    },
    async rejectRoutes(reference, selector) {
      check("rejectRoutes");
      calls.push(`rejectRoutes ${reference} ${JSON.stringify(selector)}`);
      return setApproved(reference, selector, false);
    },
  };

  const devices: DevicesApi = {
    async list() {
      check("devices.list");
      return deviceList.slice();
    },
    async add(name): Promise<AddedDevice> {
      check("devices.add");
      if (deviceList.some((existing) => existing.name === name)) throw new AdminInputError("name", `a device named "${name}" exists already`);
      const seed = 1 + deviceList.length;
      const view = device(name, seed, { lastHandshakeAt: null, rxBytes: 0, txBytes: 0, endpoint: null });
      deviceList.push(view);
      calls.push(`devices.add ${name}`);
      const fileName = `${name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "")}.conf`;
      return { view, config: deviceConfig(view), fileName };
    },
    async remove(publicKey) {
      check("devices.remove");
      const index = deviceList.findIndex((existing) => existing.publicKey === publicKey);
      if (index === -1) throw new AdminInputError("device", `no device with key ${publicKey}`);
      deviceList.splice(index, 1);
      calls.push(`devices.remove ${publicKey}`);
    },
  };

  // Software updates (off unless `updates: true`: the page runs from a checkout, not the image).
  // stage() refuses as the appliance does: empty, too big, not gzip (AdminInputError "bundle").
  const staged: { name: string; bytes: Uint8Array }[] = [];
  const updates: UpdatesApi = {
    async status() {
      check("updates.status");
      return fake.updateStatus;
    },
    async stage(upload) {
      check("updates.stage");
      if (upload.bytes.length === 0) throw new AdminInputError("bundle", "choose an update file");
      if (upload.bytes.length > MAX_UPDATE_BUNDLE_BYTES) throw new AdminInputError("bundle", "the file is too large");
      if (upload.bytes[0] !== 0x1f || upload.bytes[1] !== 0x8b) throw new AdminInputError("bundle", `${upload.name} is not a gzip file`);
      staged.push(upload);
      calls.push(`updates.stage ${upload.name} ${upload.bytes.length}`);
    },
  };

  const fake: FakeAdminApi = {
    updateStatus: {
      current: { slot: "a", version: "0.1.0" },
      other: { slot: "b", version: null },
      pending: null,
      incoming: false,
      lastResult: null,
    },
    staged,
    password: options.password === undefined ? "correct horse battery" : options.password,
    version: 1,
    softwareVersion: "0.1.0",
    status: initialStatus(),
    nodes,
    keys,
    routes,
    deviceList,
    calls,
    failNext: null,
    firstBootReport: null,
    board: {
      cpuTemperatureC: 52.5,
      load: [0.5, 0.4, 0.3],
      cpuCount: 4,
      memory: { totalBytes: 4 * 1024 ** 3, usedBytes: 1024 ** 3 },
      disk: { path: "/var/lib/meshgate", totalBytes: 32 * 1024 ** 3, usedBytes: 8 * 1024 ** 3 },
      uptimeSeconds: 3 * 86_400,
      raspberryPi: {
        model: "Raspberry Pi 4 Model B Rev 1.4",
        now: { underVoltage: false, frequencyCapped: false, throttled: false, softTemperatureLimit: false },
        sinceBoot: { underVoltage: true, frequencyCapped: false, throttled: false, softTemperatureLimit: false },
      },
    },
    auth: {
      hasPassword: () => fake.password !== null,
      checkSetupCode: (code) => fake.password === null && code === FAKE_SETUP_CODE,
      async setPassword(password) {
        if (password.length < 10) throw new AdminInputError("password", "use at least 10 characters");
        fake.password = password;
        fake.version++;
        calls.push("setPassword");
      },
      verifyPassword: async (password) => fake.password !== null && password === fake.password,
      passwordVersion: () => fake.version,
    },
    async node() {
      check("node");
      return fake.status;
    },
    async changeRouting(change) {
      check("changeRouting");
      const routing = fake.status?.routing;
      if (fake.status === null || routing === undefined) throw new AdminStateError("no node runs on this appliance");
      const next: RoutingPrefs = { ...routing.prefs, ...change };
      const bad = next.advertiseRoutes.find((prefix) => !/^\d+\.\d+\.\d+\.\d+\/\d+(=\d+\.\d+\.\d+\.\d+\/\d+)?$/.test(prefix));
      if (bad !== undefined) throw new AdminInputError("advertiseRoutes", `--advertise-routes: "${bad}" is not an IPv4 prefix`);
      if (next.exitNode !== null && next.advertiseExitNode) throw new AdminInputError("exitNode", "--exit-node and --advertise-exit-node exclude each other");
      fake.status = { ...fake.status, routing: { ...routing, prefs: next } };
      calls.push(`changeRouting ${JSON.stringify(change)}`);
      return next;
    },
    coordinator: options.coordinator === false ? null : coordinator,
    history: async (range) => history(range),
    health: async () => {
      check("health");
      return fake.board;
    },
    metricsToken: () => FAKE_METRICS_TOKEN,
    devices: options.devices === false ? null : devices,
    firstBoot: async () => fake.firstBootReport,
    ...(options.updates === true ? { updates } : {}),
  };
  return fake;
}
