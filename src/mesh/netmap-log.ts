// The coordinator's netmap in memory, and the log of its changes: what every poll is answered
// from. Pure (no store, no clock): netmap-publisher.ts feeds it.
//
// 1. The mesh: every node that appears in netmaps (registered, key not expired), each with its
//    entry serialised to JSON once, when it changes.
// 2. The change log: version → the node keys that changed or left at that version. Versions are
//    the coordinator's global counter (one per published batch of changes).
// 3. An answer for node S holding version B:
//    - B = current version: an empty delta (a poll that timed out);
//    - horizon ≤ B < current: a delta — the union of the log's keys after B, each upserted (its
//      cached entry) if still in the mesh, removed otherwise; `self` when S is among them. The
//      text is composed once per (current version, B) and shared by every node at B — after a
//      change, all waiting nodes are at the same B, so a change is serialised once, whatever the
//      number of nodes (only S's own entry is cut out of the shared text);
//    - otherwise (B older than the log, or newer than the coordinator: another coordinator
//      state, a restart) or when the delta would list as many nodes as the mesh holds: a full
//      map, composed once per version from the cached entries.
// 4. Bounds: the log keeps at most `maxVersions` versions and `max(minKeys, 2 × mesh size)` keys;
//    older versions drop off the front (the horizon moves up). Memory is O(mesh size).
//
// Answers are the UTF-8 JSON of a NetmapUpdate (netmap.ts), field for field what JSON.stringify
// of the object would write, as a list of pieces: slices of the shared, cached bytes (nothing
// per node is copied — a full map for a node is its self entry and the shared peers text with
// its own entry cut out), sealed chunk by chunk as they are sent (control-session.ts).

import type { NetmapNode } from "./netmap.js";

export interface NetmapLogLimits {
  readonly maxVersions: number;
  readonly minKeys: number;
}

export const DEFAULT_NETMAP_LOG_LIMITS: NetmapLogLimits = { maxVersions: 1024, minKeys: 4096 };

export interface NetmapLogStats {
  readonly nodes: number;
  readonly versions: number;
  readonly keys: number;
  readonly horizon: number;
  // How many times an answer's shared part was built (not taken from the cache): deltas, full maps.
  readonly deltasComposed: number;
  readonly fullMapsComposed: number;
}

interface Entry {
  readonly node: NetmapNode;
  readonly json: Uint8Array; // UTF-8 JSON
}

interface Change {
  readonly version: number;
  readonly keys: readonly string[];
}

// Entries joined with commas, and where each one sits, so one can be cut out for its own node.
interface Joined {
  readonly bytes: Uint8Array;
  readonly spans: ReadonlyMap<string, readonly [number, number]>;
}

interface Delta {
  readonly changed: ReadonlySet<string>;
  readonly upsert: Joined;
  readonly remove: Uint8Array; // JSON array elements
  readonly full: boolean; // as many changes as nodes: answer with a full map instead
}

const encoder = new TextEncoder();
const COMMA = 0x2c;
const NULL = encoder.encode("null");

function join(entries: readonly (readonly [string, Uint8Array])[]): Joined {
  const commas = Math.max(0, entries.length - 1);
  const bytes = new Uint8Array(entries.reduce((sum, [, json]) => sum + json.length, commas));
  const spans = new Map<string, readonly [number, number]>();
  let offset = 0;
  for (const [key, json] of entries) {
    if (offset > 0) bytes[offset++] = COMMA;
    bytes.set(json, offset);
    spans.set(key, [offset, offset + json.length]);
    offset += json.length;
  }
  return { bytes, spans };
}

// `joined` without `key`'s entry (and one of the commas around it), as slices of it.
function without(joined: Joined, key: string): Uint8Array[] {
  const span = joined.spans.get(key);
  if (span === undefined) return [joined.bytes];
  const [start, end] = span;
  if (start === 0) return [joined.bytes.subarray(Math.min(end + 1, joined.bytes.length))];
  return [joined.bytes.subarray(0, start - 1), joined.bytes.subarray(end)];
}

export interface NetmapLog {
  readonly version: number;
  readonly horizon: number;
  has(nodeKey: string): boolean;
  node(nodeKey: string): NetmapNode | undefined;
  // A new version: these nodes are new or changed, these left. `version` must grow.
  publish(version: number, upsert: readonly NetmapNode[], remove: readonly string[]): void;
  // The JSON of the update taking `self`'s map from `baseVersion` to now, in pieces (slices of
  // shared buffers: read them, never write); null if `self` is not in the mesh.
  answer(self: string, baseVersion: number): Uint8Array[] | null;
  stats(): NetmapLogStats;
}

export function createNetmapLog(version: number, nodes: readonly NetmapNode[], limits: NetmapLogLimits = DEFAULT_NETMAP_LOG_LIMITS): NetmapLog {
  const mesh = new Map<string, Entry>();
  const entryOf = (node: NetmapNode): Entry => ({ node, json: encoder.encode(JSON.stringify(node)) });
  for (const node of nodes) mesh.set(node.nodeKey, entryOf(node));
  let current = version;
  let horizon = version;
  const changes: Change[] = []; // oldest first
  let loggedKeys = 0;
  let fullCache: { version: number; peers: Joined } | null = null;
  let deltaCache = new Map<number, Delta>(); // base version → delta to `current`
  let deltasComposed = 0;
  let fullMapsComposed = 0;

  const fullPeers = (): Joined => {
    if (fullCache?.version !== current) {
      fullCache = { version: current, peers: join([...mesh].map(([key, entry]) => [key, entry.json] as const)) };
      fullMapsComposed++;
    }
    return fullCache.peers;
  };

  const full = (self: Entry, key: string): Uint8Array[] => [
    encoder.encode(`{"kind":"full","version":${current},"self":`),
    self.json,
    encoder.encode(`,"peers":[`),
    ...without(fullPeers(), key),
    encoder.encode("]}"),
  ];

  // The first change after `base` (versions only grow: binary search).
  const firstAfter = (base: number): number => {
    let low = 0;
    let high = changes.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (changes[middle]!.version <= base) low = middle + 1;
      else high = middle;
    }
    return low;
  };

  const deltaFrom = (base: number): Delta => {
    const cached = deltaCache.get(base);
    if (cached !== undefined) return cached;
    deltasComposed++;
    const changed = new Set<string>();
    for (let i = firstAfter(base); i < changes.length; i++) for (const key of changes[i]!.keys) changed.add(key);
    const upserted: (readonly [string, Uint8Array])[] = [];
    const removed: string[] = [];
    for (const key of changed) {
      const entry = mesh.get(key);
      if (entry === undefined) removed.push(JSON.stringify(key));
      else upserted.push([key, entry.json]);
    }
    const full = changed.size >= mesh.size && mesh.size > 1;
    const delta: Delta = { changed, upsert: join(upserted), remove: encoder.encode(removed.join(",")), full };
    deltaCache.set(base, delta);
    return delta;
  };

  const trim = (): void => {
    const maxKeys = Math.max(limits.minKeys, 2 * mesh.size);
    while (changes.length > 0 && (changes.length > limits.maxVersions || loggedKeys > maxKeys)) {
      const dropped = changes.shift()!;
      loggedKeys -= dropped.keys.length;
      horizon = dropped.version;
    }
  };

  return {
    get version() {
      return current;
    },
    get horizon() {
      return horizon;
    },
    has: (key) => mesh.has(key),
    node: (key) => mesh.get(key)?.node,
    publish(next, upsert, remove) {
      if (next <= current) throw new RangeError(`netmap version ${next} does not follow ${current}`);
      const keys: string[] = [];
      for (const node of upsert) {
        mesh.set(node.nodeKey, entryOf(node));
        keys.push(node.nodeKey);
      }
      for (const key of remove) if (mesh.delete(key)) keys.push(key);
      current = next;
      changes.push({ version: next, keys });
      loggedKeys += keys.length;
      deltaCache = new Map();
      trim();
    },
    answer(key, base) {
      const self = mesh.get(key);
      if (self === undefined) return null;
      if (base === current) return [encoder.encode(`{"kind":"delta","version":${current},"baseVersion":${current},"self":null,"upsert":[],"remove":[]}`)];
      if (base < horizon || base > current) return full(self, key);
      const delta = deltaFrom(base);
      if (delta.full) return full(self, key);
      return [
        encoder.encode(`{"kind":"delta","version":${current},"baseVersion":${base},"self":`),
        delta.changed.has(key) ? self.json : NULL,
        encoder.encode(`,"upsert":[`),
        ...without(delta.upsert, key),
        encoder.encode(`],"remove":[`),
        delta.remove,
        encoder.encode("]}"),
      ];
    },
    stats: () => ({ nodes: mesh.size, versions: changes.length, keys: loggedKeys, horizon, deltasComposed, fullMapsComposed }),
  };
}
