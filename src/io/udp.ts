// The UDP side of a WireGuard interface: one IPv4 and one IPv6 socket on the same port (like
// wireguard-go), batched receive (recvmmsg, UDP GRO) into caller-given slots and batched send
// (sendmmsg, UDP GSO).
// Source addresses become Endpoint objects through a small cache, so steady traffic from a few
// peers creates no per-packet strings; destination Endpoints are encoded once per object.

import type { Endpoint } from "../net/endpoint.js";
import { formatIpAddress, parseIpAddress } from "../net/ip-prefix.js";
import { ADDRESS_RECORD_BYTES, loadNativeIo, MAX_NATIVE_BATCH, type NativeIo } from "./native.js";

export interface UdpSocket {
  readonly family: 4 | 6;
  // Receives up to `count` datagrams into slot i at byteOffset + i * stride; lengths[i] and
  // sources[i] describe each. A length above maxLength means the datagram was truncated.
  receiveBatch(buffer: ArrayBuffer, byteOffset: number, stride: number, count: number, maxLength: number, lengths: Uint32Array, sources: Endpoint[]): number;
  // Whether datagrams already received from the kernel (coalesced by GRO) wait for the next
  // receiveBatch (no readiness event will announce them).
  hasPending(): boolean;
  onReadable(callback: () => void): void;
}

export interface UdpSockets {
  readonly port: number;
  readonly sockets: readonly UdpSocket[];
  // Sends each datagram to its endpoint on the socket of the endpoint's family.
  send(datagrams: readonly Uint8Array[], to: readonly Endpoint[]): number;
  // The same for `count` datagrams given by place: lengths[i] bytes at offsets[i] of `buffer`,
  // to to[i].
  sendSlots(buffer: ArrayBuffer, offsets: Uint32Array, lengths: Uint32Array, to: readonly Endpoint[], count: number): number;
  // Marks outgoing packets of both sockets with `fwmark` (0: none) without closing them.
  // Throws (code EPERM without CAP_NET_ADMIN) and leaves the mark as it was.
  setFwmark(fwmark: number): void;
  close(): void;
}

const SOURCE_CACHE_LIMIT = 4096;

// Endpoint objects by their address record, so repeated sources reuse one object. Consecutive
// datagrams mostly come from the same peer: a byte compare with the previous record answers
// those without building the map key.
function createSourceCache(): (records: Uint8Array, index: number) => Endpoint {
  const cache = new Map<string, Endpoint>();
  const previous = new Uint8Array(ADDRESS_RECORD_BYTES);
  let previousEndpoint: Endpoint | null = null;
  const samePrevious = (records: Uint8Array, start: number): boolean => {
    for (let i = 0; i < ADDRESS_RECORD_BYTES; i++) if (records[start + i] !== previous[i]) return false;
    return true;
  };
  return (records, index) => {
    const start = index * ADDRESS_RECORD_BYTES;
    if (previousEndpoint !== null && samePrevious(records, start)) return previousEndpoint;
    const record = records.subarray(start, start + ADDRESS_RECORD_BYTES);
    const key = Buffer.from(record.buffer, record.byteOffset, record[0] === 4 ? 8 : ADDRESS_RECORD_BYTES).toString("latin1");
    let endpoint = cache.get(key);
    if (endpoint === undefined) {
      const family = record[0] === 4 ? 4 : 6;
      const bytes = record.slice(4, family === 4 ? 8 : 20);
      endpoint = { host: formatIpAddress({ family, bytes }), port: (record[2]! << 8) | record[3]! };
      if (cache.size >= SOURCE_CACHE_LIMIT) cache.clear();
      cache.set(key, endpoint);
    }
    previous.set(record);
    previousEndpoint = endpoint;
    return endpoint;
  };
}

const encoded = new WeakMap<Endpoint, Uint8Array>();

// The address record of an endpoint whose host is an IP address (resolved by the caller).
export function endpointRecord(endpoint: Endpoint): Uint8Array {
  let record = encoded.get(endpoint);
  if (record === undefined) {
    const address = parseIpAddress(endpoint.host);
    if (address === null) throw new RangeError(`endpoint host "${endpoint.host}" is not an IP address`);
    record = new Uint8Array(ADDRESS_RECORD_BYTES);
    record[0] = address.family;
    record[2] = endpoint.port >> 8;
    record[3] = endpoint.port & 0xff;
    record.set(address.bytes, 4);
    encoded.set(endpoint, record);
  }
  return record;
}

// One family's share of a sendSlots batch.
function slotColumns(): { count: number; readonly offsets: Uint32Array; readonly lengths: Uint32Array } {
  return { count: 0, offsets: new Uint32Array(MAX_NATIVE_BATCH), lengths: new Uint32Array(MAX_NATIVE_BATCH) };
}

interface OpenSocket {
  readonly fd: number;
  readonly port: number;
  readonly socket: UdpSocket;
  close(): void;
}

function openSocket(native: NativeIo, family: 4 | 6, port: number, fwmark: number, gro: boolean): OpenSocket {
  const [fd, boundPort, handle, groOn] = native.udpOpen(family, port, fwmark, gro);
  const records = new Uint8Array(MAX_NATIVE_BATCH * ADDRESS_RECORD_BYTES);
  const source = createSourceCache();
  let watcher: object | null = null;
  let closed = false;
  return {
    fd,
    port: boundPort,
    socket: {
      family,
      receiveBatch(buffer, byteOffset, stride, count, maxLength, lengths, sources) {
        const received = native.udpRecv(handle, buffer, byteOffset, stride, count, maxLength, lengths, records);
        for (let i = 0; i < received; i++) sources[i] = source(records, i);
        return received;
      },
      hasPending: () => groOn && native.udpPending(handle),
      onReadable(callback) {
        if (watcher !== null) native.unwatch(watcher);
        watcher = native.watch(fd, callback);
      },
    },
    close() {
      if (closed) return; // a second close must never hit a descriptor number reused since
      closed = true;
      if (watcher !== null) native.unwatch(watcher);
      watcher = null;
      native.close(fd);
    },
  };
}

export interface UdpOptions {
  // UDP GSO and GRO: equal-size datagrams to one destination leave in one system call and one
  // trip through the kernel's stack, and arrive the same way (each off by itself where the
  // kernel cannot). Default on.
  readonly offload?: boolean;
}

// Opens both sockets on `port` (0: the kernel picks one for IPv4, and IPv6 takes the same).
// fwmark marks outgoing packets (policy routing keeps them off the tunnel; 0: none).
export function openUdp(port: number, fwmark = 0, options: UdpOptions = {}, native: NativeIo = loadNativeIo()): UdpSockets {
  const offload = options.offload ?? true;
  const v4 = openSocket(native, 4, port, fwmark, offload);
  let v6: OpenSocket | null = null;
  try {
    v6 = openSocket(native, 6, v4.port, fwmark, offload);
  } catch (error) {
    // A host without IPv6 still works over IPv4 (wireguard-go does the same).
    if (!(error instanceof Error && "code" in error && (error.code === "EAFNOSUPPORT" || error.code === "EADDRNOTAVAIL"))) {
      v4.close();
      throw error;
    }
  }
  const fds = { 4: v4.fd, 6: v6?.fd ?? -1 } as const;
  const destinations = { 4: new Uint8Array(MAX_NATIVE_BATCH * ADDRESS_RECORD_BYTES), 6: new Uint8Array(MAX_NATIVE_BATCH * ADDRESS_RECORD_BYTES) };
  const batches: Record<4 | 6, Uint8Array[]> = { 4: [], 6: [] };
  const slotBatches = { 4: slotColumns(), 6: slotColumns() };
  // Puts `record` at `index` of `family`'s destination records.
  const addDestination = (family: 4 | 6, index: number, record: Uint8Array): void => destinations[family].set(record, index * ADDRESS_RECORD_BYTES);
  // Each sends what one family's batch holds and empties it; the number sent. Made once, not
  // per call: a send runs for every batch of packets.
  const flushViews = (family: 4 | 6): number => {
    const sent = fds[family] >= 0 ? native.udpSend(fds[family], batches[family], destinations[family], offload) : 0;
    batches[family].length = 0;
    return sent;
  };
  const flushSlots = (family: 4 | 6, buffer: ArrayBuffer): number => {
    const batch = slotBatches[family];
    const sent = fds[family] >= 0 ? native.udpSendSlots(fds[family], buffer, batch.offsets, batch.lengths, batch.count, destinations[family], offload) : 0;
    batch.count = 0;
    return sent;
  };
  return {
    port: v4.port,
    sockets: v6 === null ? [v4.socket] : [v4.socket, v6.socket],
    send(datagrams, to) {
      let sent = 0;
      for (let i = 0; i < datagrams.length; i++) {
        const record = endpointRecord(to[i]!);
        const family = record[0] === 4 ? 4 : 6;
        addDestination(family, batches[family].length, record);
        batches[family].push(datagrams[i]!);
        if (batches[family].length === MAX_NATIVE_BATCH) sent += flushViews(family);
      }
      if (batches[4].length > 0) sent += flushViews(4);
      if (batches[6].length > 0) sent += flushViews(6);
      return sent;
    },
    sendSlots(buffer, offsets, lengths, to, count) {
      let sent = 0;
      for (let i = 0; i < count; i++) {
        const record = endpointRecord(to[i]!);
        const family = record[0] === 4 ? 4 : 6;
        const batch = slotBatches[family];
        addDestination(family, batch.count, record);
        batch.offsets[batch.count] = offsets[i]!;
        batch.lengths[batch.count++] = lengths[i]!;
        if (batch.count === MAX_NATIVE_BATCH) sent += flushSlots(family, buffer);
      }
      if (slotBatches[4].count > 0) sent += flushSlots(4, buffer);
      if (slotBatches[6].count > 0) sent += flushSlots(6, buffer);
      return sent;
    },
    setFwmark(fwmark) {
      native.udpSetMark(v4.fd, fwmark);
      if (v6 !== null) native.udpSetMark(v6.fd, fwmark);
    },
    close() {
      v4.close();
      v6?.close();
    },
  };
}
