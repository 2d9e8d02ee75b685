// AllowedIPs, WireGuard's cryptokey routing table (whitepaper §2): longest-prefix match from an
// IPv4 or IPv6 address to a peer number. Outbound, the destination picks the peer; inbound, the
// inner source address must map back to the peer that sent the packet.
//
// Lookup flow (lookupV4 / lookupV6, the hot path):
//   1. load the address straight from wherever it lies (a packet header), byte-swapped into
//      two u64 words, most significant bit first; IPv4 fills the top 32 bits of the first word;
//   2. start at the family's root (IPv4 and IPv6 are separate tries, so ::ffff:a.b.c.d never
//      meets an IPv4 prefix);
//   3. at each node, count the leading bits the address shares with the node's key (i64.clz of
//      the XOR); fewer than the node's cidr means no deeper node can match: stop;
//   4. a node holding a peer is the best match so far; go to the child named by the address
//      bit just after the node's prefix, until there is none.
//
// The trie is path-compressed: a node exists only for a stored prefix or where two stored
// prefixes part ways (a "glue" node, no peer, always two children). Insert and remove keep that
// invariant, so a table of N prefixes uses at most 2N − 1 nodes per family and churn never
// leaks nodes. A child's cidr is always above its parent's: a path has at most 129 nodes,
// which bounds the loops here and the recursion of removePeer and list.
//
// Node, NODE_BYTES, in a fixed pool (index 0 is "no node", so ALLOWED_IPS_MAX_NODES − 1 usable):
//   0        8        16       18       20      22     23
//   +--------+--------+--------+--------+-------+------+------+
//   |key hi  |key lo  |child 0 |child 1 |peer   |cidr  |unused|
//   |u64     |u64     |u16     |u16     |i16    |u8    |      |
//   +--------+--------+--------+--------+-------+------+------+
// The key is the prefix in host byte order with the bits past cidr zeroed; peer is PEER_NONE
// on glue nodes. A free node links to the next free one through child 0.

import {
  ALLOWED_IPS_ENTRY_BYTES,
  ALLOWED_IPS_LIST_MAX,
  ALLOWED_IPS_MAX_NODES,
  MAX_PEERS,
  PEER_NONE,
  STATUS_BAD_LENGTH,
  STATUS_BAD_PREFIX,
  STATUS_NOT_FOUND,
  STATUS_OK,
  STATUS_TABLE_FULL,
} from "./abi";

const NODE_BYTES: usize = 24;
const NODE_KEY_HI: usize = 0;
const NODE_KEY_LO: usize = 8;
const NODE_CHILDREN: usize = 16;
const NODE_PEER: usize = 20;
const NODE_CIDR: usize = 22;
const NO_NODE: u32 = 0;

// The node pool, and the root index of each family's trie (u16 at 0: IPv4, at 2: IPv6).
const nodes: usize = memory.data(ALLOWED_IPS_MAX_NODES * <i32>NODE_BYTES, 8);
const roots: usize = memory.data(4, 4);
// Where the caller writes the address of an insert, remove or lookup: 16 bytes in network
// byte order, an IPv4 address in the first 4.
export const allowedIpsAddress: usize = memory.data(16, 16);
// allowedIpsList() output: ALLOWED_IPS_LIST_MAX entries, layout in abi.ts.
export const allowedIpsEntries: usize = memory.data(ALLOWED_IPS_LIST_MAX * ALLOWED_IPS_ENTRY_BYTES, 16);

// Free nodes are the recycled ones (a list through child 0) plus those never handed out
// (from nextFresh on), so clearing the table is O(1) and the pool needs no initialisation.
let freeHead: u32 = NO_NODE;
let nextFresh: u32 = 1;
let usedNodes: u32 = 0;

// @ts-ignore: decorator
@inline function nodeAt(index: u32): usize {
  return nodes + <usize>index * NODE_BYTES;
}

// Address of the u16 field naming child `side` (0 or 1) of `node`.
// @ts-ignore: decorator
@inline function childLink(node: usize, side: u32): usize {
  return node + NODE_CHILDREN + (<usize>side << 1);
}

// How many leading bits the address (hi, lo) shares with the node's key: 0..128.
// @ts-ignore: decorator
@inline function commonBits(hi: u64, lo: u64, node: usize): u32 {
  const x = hi ^ load<u64>(node, NODE_KEY_HI);
  const y = lo ^ load<u64>(node, NODE_KEY_LO);
  return <u32>select<u64>(clz(x), 64 + clz(y), x != 0);
}

// Bit `position` of the address (0 = most significant). Wasm shifts count modulo 64, so the
// unused word's shift is harmless; position 128 (past a /128) reads a bit of no consequence,
// since a node at full length never has children.
// @ts-ignore: decorator
@inline function bitAt(hi: u64, lo: u64, position: u32): u32 {
  const word = select<u64>(hi << <u64>position, lo << <u64>(position - 64), position < 64);
  return <u32>(word >> 63);
}

// `word` with only its first `bits` bits kept (bits may be below 0 or above 64).
function keepBits(word: u64, bits: i32): u64 {
  if (bits <= 0) return 0;
  if (bits >= 64) return word;
  return word & (<u64>-1 << <u64>(64 - bits));
}

function lookupKey(rootIndex: u32, hi: u64, lo: u64): i32 {
  let best = PEER_NONE;
  let index = rootIndex;
  while (index != NO_NODE) {
    const node = nodeAt(index);
    const cidr = <u32>load<u8>(node, NODE_CIDR);
    if (commonBits(hi, lo, node) < cidr) break;
    const peer = <i32>load<i16>(node, NODE_PEER);
    best = select<i32>(peer, best, peer != PEER_NONE);
    // Both children in one load, issued alongside the cidr's rather than after the bit.
    const children = load<u32>(node, NODE_CHILDREN);
    index = (children >> (bitAt(hi, lo, cidr) << 4)) & 0xffff;
  }
  return best;
}

// Longest match for the 4-byte IPv4 address at `address` (network byte order, any alignment,
// caller's memory, only read): the peer number or PEER_NONE.
export function lookupV4(address: usize): i32 {
  return lookupKey(<u32>load<u16>(roots), <u64>bswap<u32>(load<u32>(address)) << 32, 0);
}

// Longest match for the 16-byte IPv6 address at `address`, as lookupV4.
export function lookupV6(address: usize): i32 {
  return lookupKey(<u32>load<u16>(roots, 2), bswap<u64>(load<u64>(address)), bswap<u64>(load<u64>(address, 8)));
}

function freeNodeCount(): u32 {
  return <u32>ALLOWED_IPS_MAX_NODES - 1 - usedNodes;
}

// Takes a node from the pool (the caller has checked freeNodeCount) and fills every field.
function newNode(hi: u64, lo: u64, cidr: u32, peer: i32): u32 {
  let index = freeHead;
  if (index != NO_NODE) freeHead = <u32>load<u16>(childLink(nodeAt(index), 0));
  else index = nextFresh++;
  usedNodes++;
  const node = nodeAt(index);
  store<u64>(node, hi, NODE_KEY_HI);
  store<u64>(node, lo, NODE_KEY_LO);
  store<u32>(node, 0, NODE_CHILDREN);
  store<i16>(node, <i16>peer, NODE_PEER);
  store<u8>(node, <u8>cidr, NODE_CIDR);
  return index;
}

function releaseNode(index: u32): void {
  store<u16>(childLink(nodeAt(index), 0), <u16>freeHead);
  freeHead = index;
  usedNodes--;
}

// Restores the invariant at the node `link` names: a node without a peer and with fewer than
// two children is replaced by its only child (or by nothing) and goes back to the pool.
function prune(link: usize): void {
  const index = <u32>load<u16>(link);
  if (index == NO_NODE) return;
  const node = nodeAt(index);
  if (<i32>load<i16>(node, NODE_PEER) != PEER_NONE) return;
  const left = <u32>load<u16>(childLink(node, 0));
  const right = <u32>load<u16>(childLink(node, 1));
  if (left != NO_NODE && right != NO_NODE) return;
  store<u16>(link, <u16>(left | right));
  releaseNode(index);
}

// Inserts the prefix (hi, lo)/cidr, already masked, under the trie `link` names. Checks the
// pool before changing anything, so a full table is left as it was.
function insertKey(link: usize, hi: u64, lo: u64, cidr: u32, peer: i32): i32 {
  let index = <u32>load<u16>(link);
  while (index != NO_NODE) {
    const node = nodeAt(index);
    const nodeCidr = <u32>load<u8>(node, NODE_CIDR);
    const common = min<u32>(commonBits(hi, lo, node), min<u32>(cidr, nodeCidr));
    if (common == nodeCidr) {
      // The node's prefix covers ours: the same prefix gets the new peer, else go deeper.
      if (nodeCidr == cidr) {
        store<i16>(node, <i16>peer, NODE_PEER);
        return STATUS_OK;
      }
      link = childLink(node, bitAt(hi, lo, nodeCidr));
      index = <u32>load<u16>(link);
      continue;
    }
    if (common == cidr) {
      // Ours covers the node's prefix: the new node takes its place, the node hangs below.
      if (freeNodeCount() < 1) return STATUS_TABLE_FULL;
      const above = newNode(hi, lo, cidr, peer);
      const side = bitAt(load<u64>(node, NODE_KEY_HI), load<u64>(node, NODE_KEY_LO), cidr);
      store<u16>(childLink(nodeAt(above), side), <u16>index);
      store<u16>(link, <u16>above);
      return STATUS_OK;
    }
    // The prefixes part ways at bit `common`: a glue node there gets both as children.
    if (freeNodeCount() < 2) return STATUS_TABLE_FULL;
    const leaf = newNode(hi, lo, cidr, peer);
    const glue = newNode(keepBits(hi, common), keepBits(lo, common - 64), common, PEER_NONE);
    const side = bitAt(hi, lo, common);
    store<u16>(childLink(nodeAt(glue), side), <u16>leaf);
    store<u16>(childLink(nodeAt(glue), side ^ 1), <u16>index);
    store<u16>(link, <u16>glue);
    return STATUS_OK;
  }
  if (freeNodeCount() < 1) return STATUS_TABLE_FULL;
  store<u16>(link, <u16>newNode(hi, lo, cidr, peer));
  return STATUS_OK;
}

function removeKey(link: usize, hi: u64, lo: u64, cidr: u32): i32 {
  let parentLink: usize = 0;
  let index = <u32>load<u16>(link);
  while (index != NO_NODE) {
    const node = nodeAt(index);
    const nodeCidr = <u32>load<u8>(node, NODE_CIDR);
    if (nodeCidr > cidr || commonBits(hi, lo, node) < nodeCidr) return STATUS_NOT_FOUND;
    if (nodeCidr == cidr) {
      if (<i32>load<i16>(node, NODE_PEER) == PEER_NONE) return STATUS_NOT_FOUND;
      store<i16>(node, <i16>PEER_NONE, NODE_PEER);
      prune(link);
      // A leaf's removal can leave its parent a glue node with one child.
      if (parentLink != 0) prune(parentLink);
      return STATUS_OK;
    }
    parentLink = link;
    link = childLink(node, bitAt(hi, lo, nodeCidr));
    index = <u32>load<u16>(link);
  }
  return STATUS_NOT_FOUND;
}

// Post-order, so each node is pruned after its children: the invariant holds on return.
function removePeerBelow(link: usize, peer: i32): i32 {
  const index = <u32>load<u16>(link);
  if (index == NO_NODE) return 0;
  const node = nodeAt(index);
  let removed = removePeerBelow(childLink(node, 0), peer) + removePeerBelow(childLink(node, 1), peer);
  if (<i32>load<i16>(node, NODE_PEER) == peer) {
    store<i16>(node, <i16>PEER_NONE, NODE_PEER);
    removed++;
  }
  prune(link);
  return removed;
}

// Pre-order, child 0 first: a family's prefixes come out in address order, a prefix before
// its more-specifics. The paging state lives in globals (no closures, no allocation).
let listPeer: i32 = PEER_NONE;
let listSkip: i32 = 0;
let listWritten: i32 = 0;

function listBelow(index: u32, family: i32): void {
  if (index == NO_NODE || listWritten == ALLOWED_IPS_LIST_MAX) return;
  const node = nodeAt(index);
  if (<i32>load<i16>(node, NODE_PEER) == listPeer) {
    if (listSkip > 0) {
      listSkip--;
    } else {
      const entry = allowedIpsEntries + <usize>listWritten * ALLOWED_IPS_ENTRY_BYTES;
      store<u8>(entry, <u8>family);
      store<u8>(entry, load<u8>(node, NODE_CIDR), 1);
      store<u16>(entry, 0, 2);
      store<u64>(entry, bswap<u64>(load<u64>(node, NODE_KEY_HI)), 4);
      store<u64>(entry, bswap<u64>(load<u64>(node, NODE_KEY_LO)), 12);
      listWritten++;
    }
  }
  listBelow(<u32>load<u16>(childLink(node, 0)), family);
  listBelow(<u32>load<u16>(childLink(node, 1)), family);
}

function prefixValid(family: i32, cidr: i32): bool {
  return (family == 4 && <u32>cidr <= 32) || (family == 6 && <u32>cidr <= 128);
}

// @ts-ignore: decorator
@inline function rootLink(family: i32): usize {
  return roots + select<usize>(2, 0, family == 6);
}

// The staged address as key words; an IPv4 address leaves the low word zero.
// @ts-ignore: decorator
@inline function stagedHi(family: i32): u64 {
  return family == 4 ? <u64>bswap<u32>(load<u32>(allowedIpsAddress)) << 32 : bswap<u64>(load<u64>(allowedIpsAddress));
}

// @ts-ignore: decorator
@inline function stagedLo(family: i32): u64 {
  return family == 4 ? 0 : bswap<u64>(load<u64>(allowedIpsAddress, 8));
}

// Adds allowedIpsAddress/cidr → peer (host bits past cidr are ignored), or moves an existing
// identical prefix to `peer`. STATUS_OK, STATUS_BAD_PREFIX (family not 4 or 6, cidr out of
// range), STATUS_BAD_LENGTH (peer not in 0..MAX_PEERS-1) or STATUS_TABLE_FULL (unchanged).
export function allowedIpsInsert(family: i32, cidr: i32, peer: i32): i32 {
  if (!prefixValid(family, cidr)) return STATUS_BAD_PREFIX;
  if (<u32>peer >= <u32>MAX_PEERS) return STATUS_BAD_LENGTH;
  const hi = keepBits(stagedHi(family), cidr);
  const lo = keepBits(stagedLo(family), cidr - 64);
  return insertKey(rootLink(family), hi, lo, <u32>cidr, peer);
}

// Removes exactly allowedIpsAddress/cidr, whatever its peer: STATUS_OK, STATUS_NOT_FOUND or
// STATUS_BAD_PREFIX.
export function allowedIpsRemove(family: i32, cidr: i32): i32 {
  if (!prefixValid(family, cidr)) return STATUS_BAD_PREFIX;
  const hi = keepBits(stagedHi(family), cidr);
  const lo = keepBits(stagedLo(family), cidr - 64);
  return removeKey(rootLink(family), hi, lo, <u32>cidr);
}

// Removes every prefix of `peer`; returns how many, or −STATUS_BAD_LENGTH for a bad peer.
export function allowedIpsRemovePeer(peer: i32): i32 {
  if (<u32>peer >= <u32>MAX_PEERS) return -STATUS_BAD_LENGTH;
  return removePeerBelow(rootLink(4), peer) + removePeerBelow(rootLink(6), peer);
}

// Longest match for allowedIpsAddress: a peer number, or PEER_NONE (also for a bad family).
export function allowedIpsLookup(family: i32): i32 {
  if (family == 4) return lookupV4(allowedIpsAddress);
  if (family == 6) return lookupV6(allowedIpsAddress);
  return PEER_NONE;
}

// Writes the prefixes of `peer` after the first `skip` (IPv4 then IPv6, each in address
// order) into allowedIpsEntries, at most ALLOWED_IPS_LIST_MAX; returns how many. A bad peer
// or a negative skip lists nothing.
export function allowedIpsList(peer: i32, skip: i32): i32 {
  if (<u32>peer >= <u32>MAX_PEERS || skip < 0) return 0;
  listPeer = peer;
  listSkip = skip;
  listWritten = 0;
  listBelow(<u32>load<u16>(rootLink(4)), 4);
  listBelow(<u32>load<u16>(rootLink(6)), 6);
  return listWritten;
}

// Empties both tries; every node is free again.
export function allowedIpsClear(): void {
  store<u32>(roots, 0);
  freeHead = NO_NODE;
  nextFresh = 1;
  usedNodes = 0;
}
