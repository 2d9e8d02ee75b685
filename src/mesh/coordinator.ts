// The coordinator: "a shared drop box for public keys". Nodes enroll with a pre-auth key, get
// mesh addresses, report where they can be reached, and hold a long poll on which every change
// arrives as a netmap update. Admins create and revoke keys and remove or expire nodes. State
// lives in the store; what is only about live connections (waiting polls, the last map sent to
// each node for deltas) lives here and is rebuilt after a restart.
//
// Flow of a change: store write + netmap version bump in one transaction → every waiting poll
// wakes → each computes its node's map → delta against what that node last got, or full.

import type { AuthKeyRecord, CoordinatorStore, NodeRecord } from "../store/coordinator-store.js";
import type { RandomSource } from "../wireguard/random-source.js";
import { allocateMeshAddresses, AddressPoolExhaustedError, type AddressPool } from "./address-allocator.js";
import { authKeyVerdict, generateAuthKey, hashAuthKeySecret, parseAuthKey, type AuthKeyVerdict } from "./auth-key.js";
import { ControlError, type NodeReport } from "./control-protocol.js";
import { diffNetmaps, type Netmap, type NetmapNode, type NetmapUpdate } from "./netmap.js";
import { uniqueNodeName } from "./node-names.js";

export interface CoordinatorSettings {
  // A node's key is valid this long after enrollment or renewal (null: forever).
  readonly keyLifetimeMs: number | null;
  // An ephemeral node is removed after being offline this long.
  readonly ephemeralOfflineMs: number;
  // A node counts as online while it has polled within this window.
  readonly onlineWindowMs: number;
  // A poll with nothing new returns after this long (the node polls again).
  readonly pollTimeoutMs: number;
}

export const DEFAULT_COORDINATOR_SETTINGS: CoordinatorSettings = {
  keyLifetimeMs: 180 * 24 * 3600_000,
  ephemeralOfflineMs: 30 * 60_000,
  onlineWindowMs: 45_000,
  pollTimeoutMs: 25_000,
};

export interface CoordinatorDeps {
  readonly store: CoordinatorStore;
  readonly publicKey: Uint8Array;
  readonly pool: AddressPool;
  readonly random: RandomSource;
  readonly now: () => number; // wall clock, ms
  // Runs `run` after `delayMs` (a poll's timeout); returns a function that cancels it.
  readonly schedule: (delayMs: number, run: () => void) => () => void;
  readonly settings: CoordinatorSettings;
  readonly log: (line: string) => void;
}

// What admins see of a node: the stored record without internals, plus derived state.
export type NodeView = Pick<
  NodeRecord,
  "id" | "name" | "hostname" | "nodeKey" | "ipv4" | "ipv6" | "endpoints" | "lastSeenAt" | "keyExpiresAt" | "ephemeral" | "createdAt"
> & { readonly online: boolean; readonly expired: boolean };

// What admins see of an auth key: never its secret hash.
export type AuthKeyView = Omit<AuthKeyRecord, "secretHash" | "userId"> & { readonly usable: boolean };

export interface CreateAuthKeyOptions {
  readonly reusable: boolean;
  readonly ephemeral: boolean;
  readonly expiresInMs: number | null;
  readonly description: string;
  readonly user: string;
}

const VERDICT_ERRORS: Record<Exclude<AuthKeyVerdict, "ok">, ControlError> = {
  unknown: new ControlError(401, "auth_key_invalid", "the auth key is not known to this coordinator"),
  wrong_secret: new ControlError(401, "auth_key_invalid", "the auth key is not known to this coordinator"),
  revoked: new ControlError(403, "auth_key_revoked", "the auth key was revoked: ask the admin for a new one"),
  expired: new ControlError(403, "auth_key_expired", "the auth key has expired: ask the admin for a new one"),
  spent: new ControlError(403, "auth_key_spent", "the auth key was for one node and is used up: ask the admin for a new one"),
};

export function createCoordinator(deps: CoordinatorDeps) {
  const { store, settings } = deps;
  const waiters = new Set<() => void>();
  const lastSent = new Map<string, Netmap>();
  let expiredIds = new Set<number>();
  let onlineIds = new Set<number>();

  const isExpired = (node: NodeRecord, now: number): boolean => node.keyExpiresAt !== null && now >= node.keyExpiresAt;
  const isOnline = (node: NodeRecord, now: number): boolean => node.lastSeenAt !== null && now - node.lastSeenAt < settings.onlineWindowMs;

  const netmapNode = (node: NodeRecord, routes: Map<number, string[]>, now: number): NetmapNode => ({
    nodeKey: node.nodeKey,
    name: node.name,
    ipv4: node.ipv4,
    ipv6: node.ipv6,
    endpoints: node.endpoints,
    routes: routes.get(node.id) ?? [],
    online: isOnline(node, now),
    keyExpiresAt: node.keyExpiresAt,
  });

  const netmapFor = (self: NodeRecord, now: number): Netmap => {
    const routes = new Map<number, string[]>();
    for (const route of store.routes.approved()) routes.set(route.nodeId, [...(routes.get(route.nodeId) ?? []), route.prefix]);
    const peers = store.nodes
      .list()
      .filter((node) => node.id !== self.id && !isExpired(node, now))
      .map((node) => netmapNode(node, routes, now));
    return { version: store.netmapVersion(), self: netmapNode(self, routes, now), peers };
  };

  // Every change goes through here: bump the version, wake every waiting poll.
  const changed = (): void => {
    store.bumpNetmapVersion();
    for (const wake of [...waiters]) wake();
  };

  const requireActiveNode = (nodeKey: string): NodeRecord => {
    const node = store.nodes.byKey(nodeKey);
    if (node === null) {
      throw new ControlError(403, "not_registered", "this node is not registered with the coordinator (it never joined, or an admin removed it): join again with an auth key");
    }
    if (isExpired(node, deps.now())) {
      throw new ControlError(403, "key_expired", "this node's key has expired: renew it with `meshgate up --auth-key <new key>`");
    }
    return node;
  };

  const checkAuthKey = (text: string) => {
    const parsed = parseAuthKey(text);
    if (parsed === null) throw new ControlError(400, "bad_request", "the auth key is malformed (expected mgauth1-…)");
    if (!Buffer.from(parsed.coordinatorKey).equals(deps.publicKey)) {
      throw new ControlError(401, "auth_key_invalid", "the auth key was issued by another coordinator");
    }
    const record = store.authKeys.byId(parsed.id);
    const verdict = authKeyVerdict(record, parsed.secret, deps.now());
    if (verdict !== "ok") throw VERDICT_ERRORS[verdict];
    return record!;
  };

  const audit = (actor: string, action: string, detail: string): void => store.audit.append(deps.now(), actor, action, detail);

  const view = (node: NodeRecord, now: number): NodeView => ({
    id: node.id,
    name: node.name,
    hostname: node.hostname,
    nodeKey: node.nodeKey,
    ipv4: node.ipv4,
    ipv6: node.ipv6,
    endpoints: node.endpoints,
    online: isOnline(node, now),
    lastSeenAt: node.lastSeenAt,
    keyExpiresAt: node.keyExpiresAt,
    expired: isExpired(node, now),
    ephemeral: node.ephemeral,
    createdAt: node.createdAt,
  });

  const findNode = (reference: string): NodeRecord => {
    const node = /^[0-9]+$/.test(reference) ? store.nodes.byId(Number(reference)) : store.nodes.byName(reference);
    if (node === null) throw new ControlError(400, "bad_request", `no node "${reference}" (give its name or id, see \`meshgate nodes list\`)`);
    return node;
  };

  const listAuthKeys = (): AuthKeyView[] => {
    const now = deps.now();
    return store.authKeys.list().map((key) => ({
      id: key.id,
      reusable: key.reusable,
      ephemeral: key.ephemeral,
      expiresAt: key.expiresAt,
      revokedAt: key.revokedAt,
      usedCount: key.usedCount,
      createdAt: key.createdAt,
      description: key.description,
      usable: key.revokedAt === null && (key.expiresAt === null || now < key.expiresAt) && (key.reusable || key.usedCount === 0),
    }));
  };

  return {
    publicKey: deps.publicKey,

    enroll(nodeKey: string, authKeyText: string, report: NodeReport): NetmapNode {
      const now = deps.now();
      const key = checkAuthKey(authKeyText);
      if (store.nodes.byKey(nodeKey) !== null) {
        audit("coordinator", "enroll-refused", `node key ${nodeKey} is already registered`);
        throw new ControlError(409, "node_key_in_use", "this node key is already registered to another node: each machine must have its own key");
      }
      const node = store.transaction(() => {
        const user = store.users.byId(key.userId);
        let addresses;
        try {
          addresses = allocateMeshAddresses(deps.pool, store.nodes.addressesInUse().ipv4, deps.random);
        } catch (error) {
          if (error instanceof AddressPoolExhaustedError) throw new ControlError(503, "address_pool_exhausted", error.message);
          throw error;
        }
        const created = store.nodes.insert({
          nodeKey,
          name: uniqueNodeName(report.hostname, store.nodes.namesInUse()),
          hostname: report.hostname,
          userId: key.userId,
          ipv4: addresses.ipv4,
          ipv6: addresses.ipv6,
          keyExpiresAt: settings.keyLifetimeMs === null ? null : now + settings.keyLifetimeMs,
          ephemeral: key.ephemeral,
          authKeyId: key.id,
          endpoints: report.endpoints,
          listenPort: report.listenPort,
          createdAt: now,
        });
        store.authKeys.recordUse(key.id);
        store.nodes.touch(created.id, now);
        audit(user?.name ?? "unknown", "enroll", `${created.name} ${created.ipv4} key ${key.id}`);
        return created;
      });
      changed();
      return netmapFor(store.nodes.byId(node.id)!, now).self;
    },

    renew(nodeKey: string, authKeyText: string): number | null {
      const node = store.nodes.byKey(nodeKey);
      if (node === null) throw new ControlError(403, "not_registered", "this node is not registered: join with an auth key");
      const key = checkAuthKey(authKeyText);
      const expiresAt = settings.keyLifetimeMs === null ? null : deps.now() + settings.keyLifetimeMs;
      store.transaction(() => {
        store.nodes.setKeyExpiry(node.id, expiresAt);
        store.authKeys.recordUse(key.id);
        audit(node.name, "renew", `key ${key.id}`);
      });
      changed();
      return expiresAt;
    },

    report(nodeKey: string, report: NodeReport): void {
      const node = requireActiveNode(nodeKey);
      const same = node.hostname === report.hostname && node.listenPort === report.listenPort &&
        node.endpoints.length === report.endpoints.length && node.endpoints.every((e, i) => e === report.endpoints[i]);
      store.nodes.touch(node.id, deps.now());
      if (same) return;
      store.nodes.updateReport(node.id, report.endpoints, report.listenPort, report.hostname);
      changed();
    },

    // Answers when the node's map has moved past `version`, or after the poll timeout.
    async poll(nodeKey: string, version: number, abort: AbortSignal): Promise<NetmapUpdate> {
      let node = requireActiveNode(nodeKey);
      const wasOnline = isOnline(node, deps.now());
      store.nodes.touch(node.id, deps.now());
      if (!wasOnline) {
        onlineIds.add(node.id);
        changed();
      }
      if (store.netmapVersion() <= version) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            cancelTimeout();
            waiters.delete(done);
            abort.removeEventListener("abort", done);
            resolve();
          };
          const cancelTimeout = deps.schedule(settings.pollTimeoutMs, done);
          waiters.add(done);
          abort.addEventListener("abort", done);
        });
      }
      node = requireActiveNode(nodeKey);
      store.nodes.touch(node.id, deps.now());
      const next = netmapFor(node, deps.now());
      const previous = lastSent.get(nodeKey);
      const update = diffNetmaps(previous !== undefined && previous.version === version ? previous : null, next);
      lastSent.set(nodeKey, next);
      return update;
    },

    // Time-driven changes (run every few seconds): keys that expired, nodes that went offline
    // or came back, ephemeral nodes gone for good.
    sweep(): void {
      const now = deps.now();
      let anything = false;
      for (const node of store.nodes.list()) {
        if (node.ephemeral && !isOnline(node, now) && now - (node.lastSeenAt ?? node.createdAt) >= settings.ephemeralOfflineMs) {
          store.nodes.remove(node.id);
          lastSent.delete(node.nodeKey);
          audit("coordinator", "remove-ephemeral", `${node.name} offline since ${new Date(node.lastSeenAt ?? node.createdAt).toISOString()}`);
          anything = true;
        }
      }
      const nodes = store.nodes.list();
      const expired = new Set(nodes.filter((node) => isExpired(node, now)).map((node) => node.id));
      const online = new Set(nodes.filter((node) => isOnline(node, now)).map((node) => node.id));
      const differs = (a: Set<number>, b: Set<number>): boolean => a.size !== b.size || [...a].some((id) => !b.has(id));
      if (differs(expired, expiredIds) || differs(online, onlineIds)) anything = true;
      expiredIds = expired;
      onlineIds = online;
      if (anything) changed();
    },

    // --- admin ---

    createAuthKey(options: CreateAuthKeyOptions): { key: string; view: AuthKeyView } {
      const now = deps.now();
      const { text, parsed } = generateAuthKey(deps.random, deps.publicKey);
      const user = store.users.ensure(options.user, now);
      const record = {
        id: parsed.id,
        userId: user.id,
        secretHash: hashAuthKeySecret(parsed.secret),
        reusable: options.reusable,
        ephemeral: options.ephemeral,
        expiresAt: options.expiresInMs === null ? null : now + options.expiresInMs,
        revokedAt: null,
        usedCount: 0,
        createdAt: now,
        description: options.description,
      };
      store.authKeys.insert(record);
      audit(options.user, "key-create", `${record.id}${record.reusable ? " reusable" : ""}${record.ephemeral ? " ephemeral" : ""}`);
      return { key: text, view: listAuthKeys().find((key) => key.id === record.id)! };
    },

    listAuthKeys,

    revokeAuthKey(id: string): void {
      if (!store.authKeys.revoke(id, deps.now())) throw new ControlError(400, "bad_request", `no usable auth key "${id}" (see \`meshgate keys list\`)`);
      audit("admin", "key-revoke", id);
    },

    listNodes(): NodeView[] {
      const now = deps.now();
      return store.nodes.list().map((node) => view(node, now));
    },

    removeNode(reference: string): NodeView {
      const node = findNode(reference);
      const removed = view(node, deps.now());
      store.transaction(() => {
        store.nodes.remove(node.id);
        audit("admin", "node-remove", `${node.name} ${node.ipv4}`);
      });
      lastSent.delete(node.nodeKey);
      changed();
      return removed;
    },

    expireNode(reference: string): NodeView {
      const node = findNode(reference);
      store.transaction(() => {
        store.nodes.setKeyExpiry(node.id, deps.now());
        audit("admin", "node-expire", node.name);
      });
      changed();
      return view(store.nodes.byId(node.id)!, deps.now());
    },

    // Wakes every waiting poll (shutdown).
    wakeAll(): void {
      for (const wake of [...waiters]) wake();
    },
  };
}

export type Coordinator = ReturnType<typeof createCoordinator>;
