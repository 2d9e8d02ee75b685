// What nodes call on the coordinator, inside their control session (coordinator-http.ts):
// enroll with a pre-auth key, renew the key, report where they can be reached, and poll for
// their netmap. Refusals are ControlErrors (sealed into the session by the caller).
//
// A poll: the node holds version B. If the netmap has moved past B, the answer is composed
// from the netmap log at once; otherwise it waits for the next published change (or the poll
// timeout, then an empty delta: after pollTimeoutMs, or routerPollTimeoutMs for a node carrying
// approved subnet routes). Answers are JSON bytes, built from pieces serialised once.

import type { NodeRecord } from "../store/coordinator-store.js";
import { checkAdvertisedRoutes, meshRanges, syncAdvertisedRoutes } from "./advertised-routes.js";
import { allocateMeshAddresses, AddressPoolExhaustedError } from "./address-allocator.js";
import { authKeyVerdict, parseAuthKey, type AuthKeyVerdict } from "./auth-key.js";
import { ControlError, type HostedDevice, type NodeReport } from "./control-protocol.js";
import { StoreConflictError } from "../store/errors.js";
import { audit, isKeyExpired, type CoordinatorContext } from "./coordinator.js";
import type { NetmapPublisher, OnGone } from "./netmap-publisher.js";
import { sameNat, type NetmapNode } from "./netmap.js";
import { uniqueNodeName } from "./node-names.js";
import type { Presence } from "./presence.js";
import type { RouteTable } from "./route-table.js";

const VERDICT_ERRORS: Record<Exclude<AuthKeyVerdict, "ok">, ControlError> = {
  unknown: new ControlError(401, "auth_key_invalid", "the auth key is not known to this coordinator"),
  wrong_secret: new ControlError(401, "auth_key_invalid", "the auth key is not known to this coordinator"),
  revoked: new ControlError(403, "auth_key_revoked", "the auth key was revoked: ask the admin for a new one"),
  expired: new ControlError(403, "auth_key_expired", "the auth key has expired: ask the admin for a new one"),
  spent: new ControlError(403, "auth_key_spent", "the auth key was for one node and is used up: ask the admin for a new one"),
};

const encoder = new TextEncoder();

// Enough for a household's phones and tablets; each is a WireGuard peer on the host.
export const MAX_DEVICES_PER_NODE = 64;

/** Why `name` cannot name a device, or null: 1–32 letters, digits, spaces, - _ ' (what a person calls a phone). */
export function deviceNameProblem(name: string): string | null {
  if (name.trim() !== name || name.length === 0) return "give a name without leading or trailing spaces";
  if (name.length > 32) return "use at most 32 characters";
  if (!/^[\p{L}\p{N} _'-]+$/u.test(name)) return "use letters, digits, spaces, - _ and ' only";
  return null;
}
const POLL_OPEN = encoder.encode(`{"op":"poll","update":`);
const POLL_CLOSE = encoder.encode("}");

type ActiveNode = Pick<NodeRecord, "id" | "nodeKey">;

export interface ControlService {
  readonly publicKey: Uint8Array;
  // Whether the store knows this node key (its sessions go to the registered pool).
  isRegistered(nodeKey: string): boolean;
  enroll(nodeKey: string, authKey: string, report: NodeReport): NetmapNode;
  renew(nodeKey: string, authKey: string): number | null;
  report(nodeKey: string, report: NodeReport): void;
  // A device without meshgate the node hosts: addresses from the pool, in everyone's netmap.
  addDevice(nodeKey: string, name: string, publicKey: string): HostedDevice;
  // Only the host may remove its device.
  removeDevice(nodeKey: string, publicKey: string): void;
  // The poll answer's JSON ({"op":"poll","update":…}) for this node from `version`, in pieces
  // that slice shared buffers (read them, never write).
  poll(nodeKey: string, version: number, onGone: OnGone): Promise<Uint8Array[]>;
}

export function createControlService(context: CoordinatorContext, publisher: NetmapPublisher, presence: Presence, routes: RouteTable): ControlService {
  const { store, settings } = context;

  // The node, if registered and its key not expired; a sealed refusal otherwise. The netmap
  // log answers for the nodes it holds (every poll asks, twice): it holds exactly the
  // registered, unexpired nodes as of the last publish, and a removal or an admin's expiry
  // is published at once — so when it says "here, valid until…", the store would too.
  // Anything else (not published yet, expired, gone) is asked of the store.
  const requireActiveNode = (nodeKey: string): ActiveNode => {
    const published = publisher.log.node(nodeKey);
    const id = publisher.idOf(nodeKey);
    if (published !== undefined && id !== undefined && (published.keyExpiresAt === null || context.now() < published.keyExpiresAt)) return { id, nodeKey };
    return requireActiveRecord(nodeKey);
  };

  const requireActiveRecord = (nodeKey: string): NodeRecord => {
    const now = context.now();
    const node = store.nodes.byKey(nodeKey);
    if (node === null) {
      throw new ControlError(403, "not_registered", "this node is not registered with the coordinator (it never joined, or an admin removed it): join again with an auth key");
    }
    if (isKeyExpired(node, now)) {
      throw new ControlError(403, "key_expired", "this node's key has expired: renew it with `meshgate up --auth-key <new key>`");
    }
    return node;
  };

  const checkAuthKey = (text: string) => {
    const parsed = parseAuthKey(text);
    if (parsed === null) throw new ControlError(400, "bad_request", "the auth key is malformed (expected mgauth1-…)");
    if (!Buffer.from(parsed.coordinatorKey).equals(context.publicKey)) {
      throw new ControlError(401, "auth_key_invalid", "the auth key was issued by another coordinator");
    }
    const record = store.authKeys.byId(parsed.id);
    const verdict = authKeyVerdict(record, parsed.secret, context.now());
    if (verdict !== "ok") throw VERDICT_ERRORS[verdict];
    return record!;
  };

  // The node was heard from (returns when): a node that comes online is a (lazy) change for everyone.
  const seen = (node: ActiveNode): number => {
    const now = context.now();
    if (presence.seen(node.id, now)) publisher.mark(node.nodeKey, "lazy");
    return now;
  };

  // The node's own entry must be in the log before its poll is answered (it just enrolled or
  // renewed, and the batch is not published yet).
  const answer = (node: ActiveNode, version: number): Uint8Array[] => {
    if (!publisher.log.has(node.nodeKey)) publisher.flush();
    const update = publisher.log.answer(node.nodeKey, version);
    if (update === null) throw new ControlError(403, "key_expired", "this node's key has expired: renew it with `meshgate up --auth-key <new key>`");
    return [POLL_OPEN, ...update, POLL_CLOSE];
  };

  return {
    publicKey: context.publicKey,

    isRegistered: (nodeKey) => store.nodes.byKey(nodeKey) !== null,

    enroll(nodeKey, authKeyText, report) {
      const now = context.now();
      const key = checkAuthKey(authKeyText);
      const routes = checkAdvertisedRoutes(report.routes, meshRanges(context));
      if (store.nodes.byKey(nodeKey) !== null) {
        audit(context, "coordinator", "enroll-refused", `node key ${nodeKey} is already registered`);
        throw new ControlError(409, "node_key_in_use", "this node key is already registered to another node: each machine must have its own key");
      }
      const node = store.transaction(() => {
        const user = store.users.byId(key.userId);
        let addresses;
        try {
          addresses = allocateMeshAddresses(context.pool, { has: store.nodes.ipv4Taken }, context.random);
        } catch (error) {
          if (error instanceof AddressPoolExhaustedError) throw new ControlError(503, "address_pool_exhausted", error.message);
          throw error;
        }
        const created = store.nodes.insert({
          nodeKey,
          name: uniqueNodeName(report.hostname, { has: store.nodes.nameTaken }),
          hostname: report.hostname,
          userId: key.userId,
          ipv4: addresses.ipv4,
          ipv6: addresses.ipv6,
          keyExpiresAt: settings.keyLifetimeMs === null ? null : now + settings.keyLifetimeMs,
          ephemeral: key.ephemeral,
          authKeyId: key.id,
          endpoints: report.endpoints,
          listenPort: report.listenPort,
          nat: report.nat ?? null,
          relayPort: report.relayPort ?? null,
          createdAt: now,
        });
        store.authKeys.recordUse(key.id);
        audit(context, user?.name ?? "unknown", "enroll", `${created.name} ${created.ipv4} key ${key.id}`);
        syncAdvertisedRoutes(context, created, routes);
        return created;
      });
      presence.seen(node.id, now);
      publisher.mark(nodeKey, "soon");
      return publisher.netmapNode(node, now);
    },

    renew(nodeKey, authKeyText) {
      const node = store.nodes.byKey(nodeKey);
      if (node === null) throw new ControlError(403, "not_registered", "this node is not registered: join with an auth key");
      const key = checkAuthKey(authKeyText);
      const expiresAt = settings.keyLifetimeMs === null ? null : context.now() + settings.keyLifetimeMs;
      store.transaction(() => {
        store.nodes.setKeyExpiry(node.id, expiresAt);
        store.authKeys.recordUse(key.id);
        audit(context, node.name, "renew", `key ${key.id}`);
      });
      publisher.mark(nodeKey, "soon");
      return expiresAt;
    },

    report(nodeKey, report) {
      const node = requireActiveRecord(nodeKey);
      seen(node);
      const routes = checkAdvertisedRoutes(report.routes, meshRanges(context));
      const fields = { hostname: report.hostname, endpoints: report.endpoints, listenPort: report.listenPort, nat: report.nat ?? null, relayPort: report.relayPort ?? null };
      const same = node.hostname === fields.hostname && node.listenPort === fields.listenPort && sameNat(node.nat, fields.nat) &&
        node.relayPort === fields.relayPort && node.endpoints.length === fields.endpoints.length && node.endpoints.every((e, i) => e === fields.endpoints[i]);
      const changed = store.transaction(() => {
        if (!same) store.nodes.updateReport(node.id, fields);
        return syncAdvertisedRoutes(context, node, routes) || !same;
      });
      if (changed) publisher.mark(nodeKey, "soon");
    },

    addDevice(nodeKey, name, publicKey) {
      const node = requireActiveRecord(nodeKey);
      const problem = deviceNameProblem(name);
      if (problem !== null) throw new ControlError(400, "bad_request", `device name: ${problem}`);
      if (store.nodes.byKey(publicKey) !== null) throw new ControlError(409, "device_refused", "that key belongs to a node, not a device");
      if (store.devices.countForNode(node.id) >= MAX_DEVICES_PER_NODE) {
        throw new ControlError(409, "device_refused", `this node hosts ${MAX_DEVICES_PER_NODE} devices already: remove one first`);
      }
      const device = store.transaction(() => {
        let addresses;
        try {
          addresses = allocateMeshAddresses(context.pool, { has: store.nodes.ipv4Taken }, context.random);
        } catch (error) {
          if (error instanceof AddressPoolExhaustedError) throw new ControlError(503, "address_pool_exhausted", error.message);
          throw error;
        }
        try {
          const created = store.devices.insert({ hostNodeId: node.id, name, publicKey, ipv4: addresses.ipv4, ipv6: addresses.ipv6, createdAt: context.now() });
          audit(context, node.name, "device-add", `${name} ${created.ipv4}`);
          return created;
        } catch (error) {
          if (error instanceof StoreConflictError && error.field === "name") throw new ControlError(409, "device_refused", `this node already has a device named "${name}"`);
          if (error instanceof StoreConflictError) throw new ControlError(409, "device_refused", "that key is already a device's");
          throw error;
        }
      });
      publisher.mark(nodeKey, "soon");
      return { name: device.name, publicKey: device.publicKey, ipv4: device.ipv4, ipv6: device.ipv6 };
    },

    removeDevice(nodeKey, publicKey) {
      const node = requireActiveRecord(nodeKey);
      const device = store.devices.byKey(publicKey);
      if (device === null || device.hostNodeId !== node.id) throw new ControlError(400, "bad_request", "this node hosts no device with that key");
      store.transaction(() => {
        store.devices.remove(device.id);
        audit(context, node.name, "device-remove", `${device.name} ${device.ipv4}`);
      });
      publisher.mark(nodeKey, "soon");
    },

    async poll(nodeKey, version, onGone) {
      const node = requireActiveNode(nodeKey);
      const heardAt = seen(node);
      if (version === publisher.log.version) {
        // A router must be heard every few seconds for a fast failover (route-table.ts).
        const timeoutMs = routes.isRouter(node.id) ? settings.routerPollTimeoutMs : settings.pollTimeoutMs;
        let hungUp = false;
        const noteHangUp: OnGone = (listener) =>
          onGone(() => {
            hungUp = true;
            listener();
          });
        await publisher.waitPast(version, timeoutMs, noteHangUp);
        // A caller that went away is no sign of life — it may have died (a killed process: its
        // socket closes at once), which a router's liveness takes into account; nobody reads
        // the answer. Otherwise: removed or expired while waiting, the node hears it now, sealed.
        if (hungUp) presence.hungUp(node.id, heardAt, context.now());
        else seen(requireActiveNode(nodeKey));
      }
      return answer(node, version);
    },
  };
}
