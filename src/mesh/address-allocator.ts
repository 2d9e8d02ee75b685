// Mesh addresses: IPv4 from 100.64.0.0/10 (the shared address space of RFC 6598, which home
// networks do not use), IPv6 from the mesh's own ULA /48 (RFC 4193: fd + 40 random bits, so
// two meshes never collide). A node's IPv6 address carries its IPv4 address in the low 32 bits,
// so the pair is unique together and easy to read. Allocation is random within the pool (an
// address reveals nothing about join order) and stored by the caller, so it is stable.

import { formatIpAddress, parseIpPrefix, type IpPrefix } from "../net/ip-prefix.js";
import { randomUint32, type RandomSource } from "../wireguard/random-source.js";

export const DEFAULT_IPV4_POOL = "100.64.0.0/10";

export class AddressPoolExhaustedError extends Error {
  override readonly name = "AddressPoolExhaustedError";
}

export interface MeshAddresses {
  readonly ipv4: string;
  readonly ipv6: string;
}

export interface AddressPool {
  readonly ipv4: IpPrefix;
  readonly ipv6: IpPrefix; // a /48 (or shorter) ULA prefix
}

const RANDOM_TRIES = 32;

function toNumber(bytes: Uint8Array): number {
  return ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
}

function toBytes(value: number): Uint8Array {
  return Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

// A fresh ULA /48 for a new mesh (RFC 4193 §3.2: fd00::/8 plus 40 random bits).
export function generateUlaPrefix(random: RandomSource): IpPrefix {
  const address = new Uint8Array(16);
  address[0] = 0xfd;
  address.set(random.bytes(5), 1);
  return { family: 6, address, cidr: 48 };
}

export function parsePool(ipv4: string, ipv6: string): AddressPool {
  const v4 = parseIpPrefix(ipv4);
  const v6 = parseIpPrefix(ipv6);
  if (v4 === null || v4.family !== 4 || v4.cidr > 30) throw new RangeError(`"${ipv4}" is not an IPv4 pool (a prefix of /30 or larger)`);
  if (v6 === null || v6.family !== 6 || v6.cidr > 96) throw new RangeError(`"${ipv6}" is not an IPv6 prefix of /96 or larger`);
  return { ipv4: v4, ipv6: v6 };
}

export function ipv6For(pool: AddressPool, ipv4: string): string {
  const bytes = pool.ipv6.address.slice();
  const v4 = ipv4.split(".").map(Number);
  bytes.set(v4, 12);
  return formatIpAddress({ family: 6, bytes });
}

// A free address pair. `inUse` says which IPv4 addresses are already given out (a set, or the
// store's index). The network and broadcast addresses of the pool are never handed out.
export function allocateMeshAddresses(pool: AddressPool, inUse: Pick<ReadonlySet<string>, "has">, random: RandomSource): MeshAddresses {
  const base = toNumber(pool.ipv4.address);
  const size = 2 ** (32 - pool.ipv4.cidr);
  const usable = size - 2;
  const candidate = (offset: number): string => formatIpAddress({ family: 4, bytes: toBytes((base + 1 + offset) >>> 0) });
  const found = (ipv4: string): MeshAddresses => ({ ipv4, ipv6: ipv6For(pool, ipv4) });
  for (let i = 0; i < RANDOM_TRIES; i++) {
    const ipv4 = candidate(randomUint32(random) % usable);
    if (!inUse.has(ipv4)) return found(ipv4);
  }
  // A crowded pool: scan once from a random start, so a free address is always found.
  const start = randomUint32(random) % usable;
  for (let i = 0; i < usable; i++) {
    const ipv4 = candidate((start + i) % usable);
    if (!inUse.has(ipv4)) return found(ipv4);
  }
  throw new AddressPoolExhaustedError(
    `the mesh address pool ${formatIpAddress({ family: 4, bytes: pool.ipv4.address })}/${pool.ipv4.cidr} is full ` +
      `(${usable} addresses in use): remove unused nodes`,
  );
}
