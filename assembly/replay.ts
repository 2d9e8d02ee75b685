// Receive-side replay protection (whitepaper §5.4.6; the sliding window of RFC 6479).
//
// Each keypair has a ring of REPLAY_RING_BLOCKS 64-bit blocks (8,192 bits) and the greatest
// counter accepted so far. A counter is acceptable if it is below the message limit, not
// older than REPLAY_WINDOW behind the greatest, and its bit is not yet set. Moving the
// window forward clears whole blocks instead of shifting bits, which is what makes RFC 6479's
// window cheap. One block is kept as slack so the window is REPLAY_WINDOW = 8,128 counters.
//
// replayCheck only reads (it runs before decryption, so a replayed packet costs no AEAD);
// replayAccept records the counter once the packet proved authentic.

import { REPLAY_RING_BLOCKS, replayRings } from "./layout";

const BLOCK_BITS_LOG: u64 = 6;
const RING_MASK: u64 = <u64>REPLAY_RING_BLOCKS - 1;
export const REPLAY_WINDOW: u64 = (<u64>REPLAY_RING_BLOCKS - 1) * 64;
// whitepaper §6.1: REJECT_AFTER_MESSAGES = 2^64 − 2^13 − 1; a counter must stay below it.
export const REJECT_AFTER_MESSAGES: u64 = 0xffff_ffff_ffff_dfff;

// @ts-ignore: decorator
@inline function ringOf(keypair: u32): usize {
  return replayRings + <usize>keypair * REPLAY_RING_BLOCKS * 8;
}

// Empties the window of `keypair`; `greatest` lives in the keypair record (keypairs.ts).
export function replayReset(keypair: u32): void {
  memory.fill(ringOf(keypair), 0, REPLAY_RING_BLOCKS * 8);
}

// True if `counter` may be accepted given the greatest counter seen so far.
export function replayCheck(keypair: u32, greatest: u64, counter: u64): bool {
  if (counter >= REJECT_AFTER_MESSAGES) return false;
  if (counter > greatest) return true;
  if (greatest - counter > REPLAY_WINDOW) return false;
  const block = load<u64>(ringOf(keypair) + <usize>((counter >> BLOCK_BITS_LOG) & RING_MASK) * 8);
  return (block & (<u64>1 << (counter & 63))) == 0;
}

// Records `counter` (which passed replayCheck and proved authentic) and returns the new
// greatest counter. Blocks the window moves over are cleared.
export function replayAccept(keypair: u32, greatest: u64, counter: u64): u64 {
  const ring = ringOf(keypair);
  if (counter > greatest) {
    const currentBlock = greatest >> BLOCK_BITS_LOG;
    let advance = (counter >> BLOCK_BITS_LOG) - currentBlock;
    if (advance > <u64>REPLAY_RING_BLOCKS) advance = <u64>REPLAY_RING_BLOCKS;
    for (let i: u64 = 1; i <= advance; i++) {
      store<u64>(ring + <usize>((currentBlock + i) & RING_MASK) * 8, 0);
    }
    greatest = counter;
  }
  const at = ring + <usize>((counter >> BLOCK_BITS_LOG) & RING_MASK) * 8;
  store<u64>(at, load<u64>(at) | (<u64>1 << (counter & 63)));
  return greatest;
}
