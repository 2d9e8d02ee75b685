// Joining the mesh, or coming back to it. With an auth key: enroll (a new node) or renew (a
// known node whose key needs extending), against the coordinator pinned in the key. Without
// one: the saved coordinator and identity — and no network call, so a node starts (and its
// mesh runs on the last netmap) even while the coordinator is down.

import type { NodeStore } from "../store/node-store.js";
import type { LocalIdentity } from "../wireguard/noise.js";
import { parseAuthKey } from "./auth-key.js";
import { ControlRefusal, ControlUnavailable, createControlClient, type ControlClient } from "./control-client.js";
import type { ChannelCrypto } from "./control-channel.js";
import type { NodeReport } from "./control-protocol.js";
import type { NetmapNode } from "./netmap.js";

export class JoinError extends Error {
  override readonly name = "JoinError";
}

export interface JoinOptions {
  readonly store: NodeStore;
  readonly identity: LocalIdentity;
  readonly noise: ChannelCrypto;
  readonly report: () => NodeReport;
  readonly coordinatorUrl?: string;
  readonly authKey?: string;
  // The key is for enrolling only: a node already registered with the coordinator it names
  // starts from its saved registration and leaves the key unused (the Pi image passes the
  // one-off key from meshgate.conf at every start; it was used up by the first).
  readonly enrollOnly?: boolean;
  readonly log: (line: string) => void;
  // The edges the control client needs (src/io/clock.ts, global fetch in the daemon).
  readonly fetch: typeof fetch;
  readonly wallClock: () => number;
  readonly now: () => number; // monotonic ms
}

export interface Joined {
  readonly client: ControlClient;
  readonly self: NetmapNode;
  readonly coordinatorUrl: string;
  readonly coordinatorKey: Uint8Array; // pinned: the relay proves itself with it too
}

const SETTING_URL = "coordinator_url";
const SETTING_KEY = "coordinator_key";
const SETTING_SELF = "self";

function client(options: JoinOptions, url: string, coordinatorKey: Uint8Array): ControlClient {
  return createControlClient({
    coordinatorUrl: url,
    coordinatorKey,
    identity: options.identity,
    noise: options.noise,
    fetch: options.fetch,
    wallClock: options.wallClock,
    now: options.now,
  });
}

export async function joinMesh(options: JoinOptions): Promise<Joined> {
  const { store } = options;
  const savedUrl = store.getSetting(SETTING_URL);
  const savedKey = store.getSetting(SETTING_KEY);
  const savedSelf = store.getSetting(SETTING_SELF);

  if (options.authKey === undefined) {
    if (savedUrl === null || savedKey === null || savedSelf === null) {
      throw new JoinError("this node has not joined a mesh yet: run meshgate up --coordinator URL --auth-key KEY");
    }
    const url = options.coordinatorUrl ?? savedUrl;
    const pinned = Uint8Array.from(Buffer.from(savedKey, "base64"));
    return { client: client(options, url, pinned), self: JSON.parse(savedSelf) as NetmapNode, coordinatorUrl: url, coordinatorKey: pinned };
  }

  const parsed = parseAuthKey(options.authKey);
  if (parsed === null) throw new JoinError("the auth key is malformed: expected mgauth1-… as printed by `meshgate keys create`");
  const url = options.coordinatorUrl ?? savedUrl;
  if (url === null) throw new JoinError("give the coordinator's address: meshgate up --coordinator http://HOST:PORT --auth-key KEY");
  const coordinatorKey = Buffer.from(parsed.coordinatorKey).toString("base64");
  const control = client(options, url, parsed.coordinatorKey);
  const sameCoordinator = savedKey === coordinatorKey && savedSelf !== null;
  if (sameCoordinator && options.enrollOnly === true) {
    return { client: control, self: JSON.parse(savedSelf) as NetmapNode, coordinatorUrl: url, coordinatorKey: parsed.coordinatorKey };
  }
  let self: NetmapNode;
  try {
    if (sameCoordinator) {
      try {
        const renewed = await control.call({ op: "renew", authKey: options.authKey });
        self = JSON.parse(savedSelf) as NetmapNode;
        options.log(`renewed this node's key${renewed.op === "renew" && renewed.keyExpiresAt !== null ? ` until ${new Date(renewed.keyExpiresAt).toISOString()}` : ""}`);
      } catch (error) {
        if (!(error instanceof ControlRefusal && error.code === "not_registered")) throw error;
        self = await enroll(control, options);
      }
    } else {
      self = await enroll(control, options);
    }
  } catch (error) {
    if (error instanceof ControlRefusal || error instanceof ControlUnavailable) throw new JoinError(`cannot join: ${error.message}`);
    throw error;
  }
  store.setSetting(SETTING_URL, url);
  store.setSetting(SETTING_KEY, coordinatorKey);
  store.setSetting(SETTING_SELF, JSON.stringify(self));
  return { client: control, self, coordinatorUrl: url, coordinatorKey: parsed.coordinatorKey };
}

async function enroll(control: ControlClient, options: JoinOptions): Promise<NetmapNode> {
  const answer = await control.call({ op: "enroll", authKey: options.authKey!, ...options.report() });
  if (answer.op !== "enroll") throw new JoinError(`the coordinator answered ${answer.op} to enroll`);
  options.log(`joined the mesh as ${answer.self.name} (${answer.self.ipv4}, ${answer.self.ipv6})`);
  return answer.self;
}
