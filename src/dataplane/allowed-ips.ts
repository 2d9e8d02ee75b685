// AllowedIPs, the cryptokey routing table (whitepaper §2), kept inside the WASM core where the
// transport batches use it; this is the control-path face of it: `wg set … allowed-ips`,
// netmap updates, status listings. Addresses cross as 4 or 16 bytes in network byte order
// through allowedIpsAddress; listings come back in pages through allowedIpsEntries.

import {
  ALLOWED_IPS_ENTRY_BYTES,
  ALLOWED_IPS_LIST_MAX,
  ALLOWED_IPS_MAX_NODES,
  MAX_PEERS,
  PEER_NONE,
  STATUS_NOT_FOUND,
  STATUS_OK,
  STATUS_TABLE_FULL,
} from "../../assembly/abi.js";
import { requireByteLength, requireIntegerIn } from "./arguments.js";
import type { CoreInstance } from "./core-exports.js";
import { coreStatusName } from "./core-status.js";
import { AllowedIpsFullError, CryptoArgumentError, CryptoModuleError } from "./errors.js";

export interface AllowedIpsEntry {
  readonly family: 4 | 6;
  // 4 (IPv4) or 16 (IPv6) bytes, network byte order. Bits past cidr are ignored on insert.
  readonly address: Uint8Array;
  readonly cidr: number;
}

export interface AllowedIps {
  // Routes the prefix to `peer` (0..MAX_PEERS-1); a prefix already present moves to `peer`.
  // Throws AllowedIpsFullError when the node pool cannot take it (nothing changes then).
  insert(entry: AllowedIpsEntry, peer: number): void;
  // Removes exactly this prefix, whatever its peer; false when it was not there.
  remove(entry: AllowedIpsEntry): boolean;
  // Removes every prefix of `peer`; returns how many there were.
  removePeer(peer: number): number;
  // Longest match for a 4-byte IPv4 or 16-byte IPv6 address: the peer, or null.
  lookup(address: Uint8Array): number | null;
  // The peer's prefixes, IPv4 then IPv6, each in address order (masked addresses).
  list(peer: number): AllowedIpsEntry[];
  clear(): void;
}

// n prefixes take at most 2n − 1 nodes of the ALLOWED_IPS_MAX_NODES − 1 usable ones (a node per
// prefix, one more wherever two prefixes part ways; assembly/allowedips.ts).
const GUARANTEED_PREFIXES = ALLOWED_IPS_MAX_NODES / 2;

const addressBytes = (family: 4 | 6): number => (family === 4 ? 4 : 16);
const maxCidr = (family: 4 | 6): number => (family === 4 ? 32 : 128);

// "10.1.0.0/16", "fd00:0:0:0:0:0:0:1/128": for error messages only, so no :: shortening.
function formatEntry({ family, address, cidr }: AllowedIpsEntry): string {
  if (family === 4) return `${address.join(".")}/${cidr}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((address[i] ?? 0) << 8) | (address[i + 1] ?? 0)).toString(16));
  return `${groups.join(":")}/${cidr}`;
}

function requireEntry(entry: AllowedIpsEntry): void {
  const { family } = entry;
  if (family !== 4 && family !== 6) throw new CryptoArgumentError(`family must be 4 or 6, got ${String(family)}`);
  requireByteLength("address", entry.address, addressBytes(family));
  requireIntegerIn("cidr", entry.cidr, 0, maxCidr(family));
}

const requirePeer = (peer: number): void => requireIntegerIn("peer", peer, 0, MAX_PEERS - 1);

export function createAllowedIps({ functions, views }: CoreInstance): AllowedIps {
  const staged = views.allowedIpsAddress;
  const entries = views.allowedIpsEntries;
  const stage = (address: Uint8Array): void => {
    staged.fill(0);
    staged.set(address);
  };
  const unexpected = (operation: string, status: number): CryptoModuleError =>
    new CryptoModuleError(`${operation} failed: ${coreStatusName(status)}`);

  const readPage = (count: number, into: AllowedIpsEntry[]): void => {
    for (let i = 0; i < count; i++) {
      const at = i * ALLOWED_IPS_ENTRY_BYTES;
      const family = entries[at] === 4 ? 4 : 6;
      const cidr = entries[at + 1] ?? 0;
      into.push({ family, cidr, address: entries.slice(at + 4, at + 4 + addressBytes(family)) });
    }
  };

  return {
    insert(entry, peer) {
      requireEntry(entry);
      requirePeer(peer);
      stage(entry.address);
      const status = functions.allowedIpsInsert(entry.family, entry.cidr, peer);
      if (status === STATUS_OK) return;
      if (status === STATUS_TABLE_FULL) {
        throw new AllowedIpsFullError(
          `AllowedIPs table is full (room for at least ${GUARANTEED_PREFIXES} prefixes): cannot add ` +
            `${formatEntry(entry)} for peer ${peer}; remove routes or merge them into shorter prefixes`,
        );
      }
      throw unexpected("allowedIpsInsert", status);
    },
    remove(entry) {
      requireEntry(entry);
      stage(entry.address);
      const status = functions.allowedIpsRemove(entry.family, entry.cidr);
      if (status === STATUS_OK) return true;
      if (status === STATUS_NOT_FOUND) return false;
      throw unexpected("allowedIpsRemove", status);
    },
    removePeer(peer) {
      requirePeer(peer);
      const removed = functions.allowedIpsRemovePeer(peer);
      if (removed < 0) throw unexpected("allowedIpsRemovePeer", -removed);
      return removed;
    },
    lookup(address) {
      if (!(address instanceof Uint8Array) || (address.length !== 4 && address.length !== 16)) {
        throw new CryptoArgumentError(`address must be a 4- or 16-byte Uint8Array, got ${String(address?.length)} bytes`);
      }
      staged.set(address);
      const peer = functions.allowedIpsLookup(address.length === 4 ? 4 : 6);
      return peer === PEER_NONE ? null : peer;
    },
    list(peer) {
      requirePeer(peer);
      const result: AllowedIpsEntry[] = [];
      for (let count = ALLOWED_IPS_LIST_MAX; count === ALLOWED_IPS_LIST_MAX; ) {
        count = functions.allowedIpsList(peer, result.length);
        readPage(count, result);
      }
      return result;
    },
    clear() {
      functions.allowedIpsClear();
    },
  };
}
