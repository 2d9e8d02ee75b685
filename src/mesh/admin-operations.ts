// What admins do on the coordinator (admin-http.ts serves it on the admin socket for the CLI):
// create, list and revoke pre-auth keys; list, remove and expire nodes; list, approve and reject
// routes (route-admin.ts). A change to a node is
// published at once (publisher.flush): an admin who removes a node expects it gone everywhere
// now, and admin operations are rare.

import type { AuthKeyRecord, NodeRecord } from "../store/coordinator-store.js";
import { generateAuthKey, hashAuthKeySecret } from "./auth-key.js";
import { ControlError } from "./control-protocol.js";
import { audit, isKeyExpired, type CoordinatorContext } from "./coordinator.js";
import type { NetmapPublisher } from "./netmap-publisher.js";
import type { Presence } from "./presence.js";
import { createRouteAdmin, type RouteAdmin } from "./route-admin.js";
import type { RouteTable } from "./route-table.js";

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

export interface AdminOperations extends RouteAdmin {
  createAuthKey(options: CreateAuthKeyOptions): { key: string; view: AuthKeyView };
  listAuthKeys(): AuthKeyView[];
  revokeAuthKey(id: string): void;
  listNodes(): NodeView[];
  removeNode(reference: string): NodeView;
  expireNode(reference: string): NodeView;
}

export function createAdminOperations(context: CoordinatorContext, publisher: NetmapPublisher, presence: Presence, routes: RouteTable): AdminOperations {
  const { store } = context;

  const view = (node: NodeRecord, now: number): NodeView => ({
    id: node.id,
    name: node.name,
    hostname: node.hostname,
    nodeKey: node.nodeKey,
    ipv4: node.ipv4,
    ipv6: node.ipv6,
    endpoints: node.endpoints,
    online: presence.isOnline(node.id, now),
    lastSeenAt: presence.lastSeen(node.id) ?? node.lastSeenAt,
    keyExpiresAt: node.keyExpiresAt,
    expired: isKeyExpired(node, now),
    ephemeral: node.ephemeral,
    createdAt: node.createdAt,
  });

  const findNode = (reference: string): NodeRecord => {
    const node = /^[0-9]+$/.test(reference) ? store.nodes.byId(Number(reference)) : store.nodes.byName(reference);
    if (node === null) throw new ControlError(400, "bad_request", `no node "${reference}" (give its name or id, see \`meshgate nodes list\`)`);
    return node;
  };

  const listAuthKeys = (): AuthKeyView[] => {
    const now = context.now();
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
    ...createRouteAdmin(context, publisher, presence, routes, findNode),

    createAuthKey(options) {
      const now = context.now();
      const { text, parsed } = generateAuthKey(context.random, context.publicKey);
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
      audit(context, options.user, "key-create", `${record.id}${record.reusable ? " reusable" : ""}${record.ephemeral ? " ephemeral" : ""}`);
      return { key: text, view: listAuthKeys().find((key) => key.id === record.id)! };
    },

    listAuthKeys,

    revokeAuthKey(id) {
      if (!store.authKeys.revoke(id, context.now())) throw new ControlError(400, "bad_request", `no usable auth key "${id}" (see \`meshgate keys list\`)`);
      audit(context, "admin", "key-revoke", id);
    },

    listNodes() {
      const now = context.now();
      return store.nodes.list().map((node) => view(node, now));
    },

    removeNode(reference) {
      const node = findNode(reference);
      const removed = view(node, context.now());
      store.transaction(() => {
        store.nodes.remove(node.id);
        audit(context, "admin", "node-remove", `${node.name} ${node.ipv4}`);
      });
      presence.forget(node.id);
      publisher.mark(node.nodeKey, "soon");
      publisher.flush();
      return removed;
    },

    expireNode(reference) {
      const node = findNode(reference);
      store.transaction(() => {
        store.nodes.setKeyExpiry(node.id, context.now());
        audit(context, "admin", "node-expire", node.name);
      });
      publisher.mark(node.nodeKey, "soon");
      publisher.flush();
      return view(store.nodes.byId(node.id)!, context.now());
    },
  };
}
