// Keys and wiring shared by the relay tests: seeded identities, an X25519 that counts its
// Diffie-Hellman operations, a relay server core with an allow list, and a client's side of the
// TCP relay handshake written out by hand (so the server is tested against the README, not
// only against our own client).

import { relayPairKey, relayProof, TCP_RELAY_LABEL } from "../../src/nat/relay-proof.js";
import { createFrameDecoder, encodeClientAuth, SERVER_TO_CLIENT, type RelayFrame } from "../../src/nat/relay-protocol.js";
import type { RelayClient, RelayClientAction } from "../../src/nat/relay-client.js";
import { createRelayServer, type RelayServer, type RelayServerAction, type RelayServerLimits } from "../../src/nat/relay-server.js";
import { clampPrivateKey, createFastestX25519, type X25519 } from "../../src/wireguard/x25519.js";
import { createSeededRandom } from "../fakes/seeded-random.js";

export interface Identity {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

export const x25519 = createFastestX25519();

export function identity(seed: number): Identity {
  const privateKey = clampPrivateKey(createSeededRandom(seed).bytes(32));
  return { privateKey, publicKey: x25519.publicKey(privateKey) };
}

export const b64 = (key: Uint8Array): string => Buffer.from(key).toString("base64");

// An X25519 whose sharedSecret calls are counted (the work a refusal must not cost).
export function countingX25519(): X25519 & { dh: number } {
  const counted = {
    ...x25519,
    dh: 0,
    sharedSecret(privateKey: Parameters<X25519["sharedSecret"]>[0], publicKey: Uint8Array) {
      counted.dh++;
      return x25519.sharedSecret(privateKey, publicKey);
    },
  };
  return counted;
}

export interface ServerHarness {
  readonly server: RelayServer;
  readonly identity: Identity;
  readonly allowed: Set<string>;
  readonly logs: string[];
  readonly x25519: X25519 & { dh: number };
}

export function relayServerHarness(limits: Partial<RelayServerLimits> = {}): ServerHarness {
  const serverIdentity = identity(1);
  const allowed = new Set<string>();
  const logs: string[] = [];
  const counting = countingX25519();
  const server = createRelayServer({
    identity: serverIdentity,
    x25519: counting,
    random: createSeededRandom(7),
    isAllowed: (key) => allowed.has(b64(key)),
    log: (line) => logs.push(line),
    limits,
  });
  return { server, identity: serverIdentity, allowed, logs, x25519: counting };
}

// Everything queued on a server connection, decoded as a client reads it.
export function drain(server: RelayServer, connection: number): RelayFrame[] {
  const decoder = createFrameDecoder((type) => SERVER_TO_CLIENT.has(type));
  const frames: RelayFrame[] = [];
  for (let chunk = server.pull(connection, 1 << 20); chunk.length > 0; chunk = server.pull(connection, 1 << 20)) {
    for (const bytes of chunk) {
      const error = decoder.push(bytes, (frame) => {
        frames.push(frame);
        return true;
      });
      if (error !== null) throw new Error(`the server sent a bad frame (${error})`);
    }
  }
  return frames;
}

// The clientAuth frame for a challenge: signed by `signer`'s private key, naming `claimed`.
export function clientAuth(serverKey: Uint8Array, challenge: Uint8Array, signer: Identity, claimed: Uint8Array = signer.publicKey): Uint8Array {
  const key = relayPairKey(x25519, signer.privateKey, serverKey, TCP_RELAY_LABEL)!;
  return encodeClientAuth(claimed, relayProof(key, challenge, claimed));
}

// Opens a connection and authenticates `who`: the connection id, with the hello and ready read.
export function connect(harness: ServerHarness, who: Identity, now: number, source = "192.0.2.1"): number {
  const id = harness.server.open(now, source);
  if (id === null) throw new Error("the server refused the connection");
  const [hello] = drain(harness.server, id);
  if (hello?.type !== "serverHello") throw new Error(`expected a serverHello, got ${hello?.type}`);
  harness.server.receive(now, id, clientAuth(hello.serverKey, hello.challenge, who));
  const [ready] = drain(harness.server, id);
  if (ready?.type !== "ready") throw new Error(`expected ready, got ${JSON.stringify(ready)}`);
  return id;
}

// Client cores joined to a server core in memory: each client action (connect, flush, close)
// and each server action (flush, close) is carried out at once, on the caller's clock.
export class MemoryRelay {
  private readonly links = new Map<number, MemoryLink>();

  constructor(readonly harness: Pick<ServerHarness, "server">) {}

  attach(client: RelayClient, source = "192.0.2.50"): MemoryLink {
    return new MemoryLink(this, client, source);
  }

  tick(now: number): void {
    this.process(now, this.harness.server.tick(now));
  }

  // Internal: what the server asked for.
  process(now: number, actions: readonly RelayServerAction[]): void {
    for (const action of actions) {
      const link = this.links.get(action.connection);
      if (link === undefined) continue;
      link.deliver(now, action.connection); // for a close: the error frame
      if (action.kind === "flush") continue;
      if (link.connection === action.connection) link.lost(now, "the relay closed the connection");
      else this.harness.server.closed(now, action.connection);
      this.links.delete(action.connection);
    }
  }

  register(connection: number, link: MemoryLink): void {
    this.links.set(connection, link);
  }

  unregister(connection: number): void {
    this.links.delete(connection);
  }
}

export class MemoryLink {
  connection: number | null = null;
  readonly packets: { from: string; packet: string }[] = [];
  readonly gone: string[] = [];
  readonly actions: RelayClientAction["kind"][] = [];

  constructor(
    private readonly relay: MemoryRelay,
    readonly client: RelayClient,
    private readonly source: string,
  ) {}

  run(now: number, actions: readonly RelayClientAction[]): void {
    const server = this.relay.harness.server;
    for (const action of actions) {
      this.actions.push(action.kind);
      switch (action.kind) {
        case "connect": {
          const id = server.open(now, this.source);
          if (id === null) {
            this.run(now, this.client.disconnected(now, "HTTP 503"));
            break;
          }
          this.connection = id;
          this.relay.register(id, this);
          this.run(now, this.client.connected(now));
          this.deliver(now);
          break;
        }
        case "flush":
          this.flush(now);
          break;
        case "close":
          if (this.connection !== null) {
            server.closed(now, this.connection);
            this.relay.unregister(this.connection);
            this.connection = null;
          }
          break;
        case "packet":
          this.packets.push({ from: b64(action.from), packet: Buffer.from(action.packet).toString() });
          break;
        case "peerGone":
          this.gone.push(b64(action.key));
          break;
      }
    }
  }

  // Client → server: what the client queued.
  flush(now: number): void {
    if (this.connection === null) return;
    for (const bytes of this.client.pull(1 << 20)) {
      if (this.connection === null) return;
      this.relay.process(now, this.relay.harness.server.receive(now, this.connection, bytes));
    }
  }

  // Server → client: what the server queued.
  deliver(now: number, connection = this.connection): void {
    if (this.connection === null || connection !== this.connection) return;
    for (const bytes of this.relay.harness.server.pull(this.connection, 1 << 20)) this.run(now, this.client.receive(now, bytes));
  }

  // The socket went away (either end): both cores hear of it.
  lost(now: number, reason: string): void {
    if (this.connection !== null) {
      this.relay.harness.server.closed(now, this.connection);
      this.relay.unregister(this.connection);
      this.connection = null;
    }
    this.run(now, this.client.disconnected(now, reason));
  }

  send(now: number, to: Uint8Array, text: string): boolean {
    if (!this.client.send(to, Buffer.from(text))) return false;
    this.flush(now);
    return true;
  }
}
