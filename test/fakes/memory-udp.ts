// In-memory UDP (the role of wireguard-go's conn/bindtest): hosts on a MemoryUdpNetwork, each
// with an IPv4 and optionally an IPv6 address, open UdpSockets (src/io/udp.ts) — one socket
// per family on one port, as the real adapter does. A datagram sent is queued at once at the
// socket bound to its destination (or lost: no such socket, or `filter` says so) and the
// receiver's readiness fires on a later turn of the event loop. The contract tests
// (test/io/udp.contract.ts) hold it to what the real sockets do:
//   - receiveBatch copies datagram i to byteOffset + i * stride; one longer than maxLength is
//     cut, and its length is the full length (recvmmsg with MSG_TRUNC);
//   - send() counts what it handed over; a datagram too big for UDP, or for a family these
//     sockets lack, is skipped and the rest of the batch goes;
//   - a port in use is refused with code EADDRINUSE; port 0 picks a free one for both families.
// Receive queues have no limit (a real socket drops beyond its buffer).

import type { Endpoint } from "../../src/net/endpoint.js";
import { formatIpAddress, parseIpAddress } from "../../src/net/ip-prefix.js";
import type { UdpSocket, UdpSockets } from "../../src/io/udp.js";
import { checkBatch, slotView } from "./batch-arguments.js";
import { createReadiness } from "./readiness.js";

export interface Datagram {
  readonly from: Endpoint;
  readonly to: Endpoint;
  readonly bytes: Uint8Array;
}

export interface MemoryUdpSockets extends UdpSockets {
  // The mark set at open or by setFwmark.
  readonly fwmark: number;
  readonly closed: boolean;
  // Datagrams waiting in this port's sockets.
  readonly waiting: number;
}

export interface MemoryHost {
  readonly ipv4: string;
  readonly ipv6: string | null;
  openUdp(port: number, fwmark?: number): MemoryUdpSockets;
}

// The largest UDP payload an IPv4 / IPv6 packet carries (65535 minus the headers).
const MAX_PAYLOAD = { 4: 65507, 6: 65527 } as const;
const FIRST_EPHEMERAL_PORT = 32768;

interface Queued {
  readonly bytes: Uint8Array;
  readonly source: Endpoint;
}

interface BoundSocket {
  readonly queue: Queued[];
  poke(): void;
}

const canonical = (host: string): string => {
  const address = parseIpAddress(host);
  if (address === null) throw new RangeError(`"${host}" is not an IP address`);
  return formatIpAddress(address);
};

export class MemoryUdpNetwork {
  // Every datagram handed to the network, in order (copies), whatever became of it.
  readonly log: Datagram[] = [];
  // Whether a datagram is delivered; tests lose datagrams with it.
  filter: (datagram: Datagram) => boolean = () => true;
  private readonly bound = new Map<string, BoundSocket>();

  host(ipv4: string, ipv6: string | null = null): MemoryHost {
    const addresses = { 4: canonical(ipv4), 6: ipv6 === null ? null : canonical(ipv6) } as const;
    return { ipv4: addresses[4], ipv6: addresses[6], openUdp: (port, fwmark = 0) => this.open(addresses, port, fwmark) };
  }

  private key(host: string, port: number): string {
    return `${host}|${port}`;
  }

  private inUse(addresses: Readonly<Record<4 | 6, string | null>>, port: number): boolean {
    return [addresses[4], addresses[6]].some((host) => host !== null && this.bound.has(this.key(host, port)));
  }

  private open(addresses: Readonly<Record<4 | 6, string | null>>, requested: number, fwmark: number): MemoryUdpSockets {
    let port = requested;
    if (port === 0) for (port = FIRST_EPHEMERAL_PORT; this.inUse(addresses, port); port++);
    else if (this.inUse(addresses, port)) {
      throw Object.assign(new Error("cannot bind the UDP port: Address already in use"), { code: "EADDRINUSE" });
    }
    const families = addresses[6] === null ? ([4] as const) : ([4, 6] as const);
    const sockets = families.map((family) => this.bind(family, addresses[family]!, port));
    let closed = false;
    let mark = fwmark;
    return {
      port,
      get fwmark() {
        return mark;
      },
      setFwmark(next) {
        mark = next;
      },
      sockets: sockets.map((socket) => socket.socket),
      get closed() {
        return closed;
      },
      get waiting() {
        return sockets.reduce((sum, socket) => sum + socket.queue.length, 0);
      },
      sendSlots(buffer, offsets, lengths, to, count) {
        return this.send(Array.from({ length: count }, (_, i) => slotView(buffer, offsets[i]!, lengths[i]!)), to.slice(0, count));
      },
      send: (datagrams, to) => {
        if (closed) return 0;
        let sent = 0;
        datagrams.forEach((bytes, i) => {
          const destination = { host: canonical(to[i]!.host), port: to[i]!.port };
          const family = destination.host.includes(":") ? 6 : 4;
          const from = sockets.find((socket) => socket.socket.family === family);
          if (from === undefined || bytes.length > MAX_PAYLOAD[family]) return;
          sent++;
          this.transmit({ from: from.source, to: destination, bytes: bytes.slice() });
        });
        return sent;
      },
      close() {
        if (closed) return;
        closed = true;
        for (const socket of sockets) socket.close();
      },
    };
  }

  private transmit(datagram: Datagram): void {
    this.log.push(datagram);
    if (!this.filter(datagram)) return;
    const receiver = this.bound.get(this.key(datagram.to.host, datagram.to.port));
    if (receiver === undefined) return;
    receiver.queue.push({ bytes: datagram.bytes, source: datagram.from });
    receiver.poke();
  }

  private bind(family: 4 | 6, host: string, port: number): { socket: UdpSocket; source: Endpoint; queue: Queued[]; close(): void } {
    const queue: Queued[] = [];
    const readiness = createReadiness(() => queue.length > 0);
    const key = this.key(host, port);
    this.bound.set(key, { queue, poke: readiness.poke });
    const socket: UdpSocket = {
      family,
      receiveBatch(buffer, byteOffset, stride, count, maxLength, lengths, sources) {
        checkBatch(buffer, byteOffset, stride, count, maxLength, lengths);
        const bytes = new Uint8Array(buffer);
        let received = 0;
        for (; received < count && queue.length > 0; received++) {
          const datagram = queue.shift()!;
          bytes.set(datagram.bytes.subarray(0, maxLength), byteOffset + received * stride);
          lengths[received] = datagram.bytes.length;
          sources[received] = datagram.source;
        }
        return received;
      },
      hasPending: () => false,
      onReadable: (callback) => readiness.watch(callback),
    };
    return {
      socket,
      source: { host, port },
      queue,
      close: () => {
        readiness.unwatch();
        queue.length = 0;
        this.bound.delete(key);
      },
    };
  }
}
