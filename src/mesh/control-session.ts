// A control session: the transport keys one handshake (control-channel.ts) gave a node and its
// coordinator, and how messages of any size are sealed under them.
//
// A sealed message, either direction (one message per HTTP body):
//
//   counter (u64 LE) ‖ chunk_0 ‖ chunk_1 ‖ … ‖ chunk_{n−1}                           n ≥ 1
//   chunk_i  = ChaCha20-Poly1305(key, nonce_i, plaintext_i, aad_i)   plaintext_i + 16-byte tag
//   nonce_i  = i (u32 LE) ‖ counter (u64 LE)                         the RFC 8439 12-byte nonce
//   aad_i    = 0x01 ("more follows") for i < n−1, empty for the last chunk
//   plaintext_i is CHUNK_PLAINTEXT_BYTES long for every chunk but the last, which holds the
//   rest (0..CHUNK_PLAINTEXT_BYTES bytes)
//
// - The receiver cuts the message into CHUNK_PLAINTEXT_BYTES + 16-byte pieces (the last one
//   shorter or equal) and opens piece i with nonce_i, as the last chunk only if it is the last
//   piece. So chunks cannot be reordered (the index is in the nonce), moved between messages
//   (so is the counter), dropped at the end (the new last chunk was sealed with "more follows")
//   or cut (a piece that does not authenticate).
// - The replay window is per message: one counter per message, checked once, and accepted only
//   when every chunk opened.
// - A message of at most CHUNK_PLAINTEXT_BYTES is one chunk with nonce 0 ‖ counter and no
//   associated data: byte for byte the single-seal format this channel had before chunking, so
//   every exchange that worked between the two versions still does.
// - Each chunk is one call into the WASM AEAD (its one-shot limit is 65,535 bytes, the chunk size).
//
// Calls may run concurrently (a long poll stays open while other calls go), so receiving
// accepts any counter within a 64-message window, each once.

import type { CryptoCore } from "../dataplane/crypto-core.js";
import type { TransportKeys } from "../wireguard/noise.js";

export const COUNTER_BYTES = 8;
export const TAG_BYTES = 16;
export const CHUNK_PLAINTEXT_BYTES = 65_535;
const CHUNK_SEALED_BYTES = CHUNK_PLAINTEXT_BYTES + TAG_BYTES;
const NONCE_BYTES = 12;
const REPLAY_WINDOW = 64n;
const MORE_FOLLOWS = Uint8Array.of(1);
const LAST = new Uint8Array(0);

function chunkNonce(counter: bigint, index: number): Uint8Array {
  const nonce = new Uint8Array(NONCE_BYTES);
  const view = new DataView(nonce.buffer);
  view.setUint32(0, index, true);
  view.setBigUint64(4, counter, true);
  return nonce;
}

// The sealed size of a payload of `plaintextBytes` (the counter included).
export function sealedLength(plaintextBytes: number): number {
  const chunks = Math.max(1, Math.ceil(plaintextBytes / CHUNK_PLAINTEXT_BYTES));
  return COUNTER_BYTES + plaintextBytes + chunks * TAG_BYTES;
}

export class ControlSession {
  private sendCounter = 0n;
  private greatestReceived = -1n;
  private receivedBits = 0n;
  private closed = false;

  constructor(
    readonly id: number,
    readonly peerKey: Uint8Array,
    private readonly crypto: CryptoCore,
    private readonly keys: TransportKeys,
    readonly createdAt: number,
  ) {}

  // Wipes the session keys; nothing opens or seals with this session afterwards.
  close(): void {
    this.closed = true;
    this.keys.send.fill(0);
    this.keys.receive.fill(0);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // Seals the concatenation of `pieces` (any length) as one message; the result is a new array
  // the caller owns. The pieces are only read.
  seal(pieces: Uint8Array | readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
    const list = pieces instanceof Uint8Array ? [pieces] : pieces;
    const length = list.reduce((sum, piece) => sum + piece.length, 0);
    const out = new Uint8Array(sealedLength(length));
    let offset = 0;
    for (const part of this.sealedParts(list, length)) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }

  // The same message, sealed one chunk at a time as the stream is read: whatever the message's
  // size, one chunk (64 KiB) of it is in memory per reader — a full netmap of thousands of
  // nodes, sent to a slow node, costs the coordinator no more than that. The counter is taken
  // now. `pieces` must not change until the stream ends; `done` runs once when it ends or is
  // cancelled (the caller's lease on the session).
  sealStream(pieces: readonly Uint8Array[], done: () => void): { readonly length: number; readonly stream: ReadableStream<Uint8Array> } {
    const length = pieces.reduce((sum, piece) => sum + piece.length, 0);
    const parts = this.sealedParts(pieces, length);
    const counter = parts.next().value!; // takes the counter now
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      done();
    };
    const stream = new ReadableStream<Uint8Array>(
      {
        start(controller) {
          controller.enqueue(counter);
        },
        pull(controller) {
          try {
            const next = parts.next();
            if (next.done === true) {
              controller.close();
              finish();
            } else {
              controller.enqueue(next.value);
            }
          } catch (error) {
            controller.error(error);
            finish();
          }
        },
        cancel: finish,
      },
      { highWaterMark: 0 },
    );
    return { length: sealedLength(length), stream };
  }

  // The counter, then each sealed chunk (see the layout at the top of this file).
  private *sealedParts(pieces: readonly Uint8Array[], length: number): Generator<Uint8Array<ArrayBuffer>> {
    if (this.closed) throw new Error("sealing with a closed control session");
    const counter = this.sendCounter++;
    const prefix = new Uint8Array(COUNTER_BYTES);
    new DataView(prefix.buffer).setBigUint64(0, counter, true);
    yield prefix;
    const chunks = Math.max(1, Math.ceil(length / CHUNK_PLAINTEXT_BYTES));
    let piece = 0;
    let offset = 0; // within pieces[piece]
    for (let index = 0; index < chunks; index++) {
      const last = index === chunks - 1;
      const plaintext = new Uint8Array(last ? length - index * CHUNK_PLAINTEXT_BYTES : CHUNK_PLAINTEXT_BYTES);
      for (let filled = 0; filled < plaintext.length; ) {
        const from = pieces[piece]!;
        const take = Math.min(from.length - offset, plaintext.length - filled);
        plaintext.set(from.subarray(offset, offset + take), filled);
        filled += take;
        offset += take;
        if (offset === from.length) {
          piece++;
          offset = 0;
        }
      }
      if (this.closed) throw new Error("sealing with a closed control session");
      yield this.crypto.seal(this.keys.send, chunkNonce(counter, index), plaintext, last ? LAST : MORE_FOLLOWS) as Uint8Array<ArrayBuffer>;
    }
  }

  // The payload, or null if any chunk is not authentic, chunks are missing, or the message is a
  // replay. `message` is only read.
  open(message: Uint8Array): Uint8Array | null {
    if (this.closed || message.length < COUNTER_BYTES + TAG_BYTES) return null;
    const counter = new DataView(message.buffer, message.byteOffset, message.length).getBigUint64(0, true);
    if (!this.fresh(counter)) return null;
    const body = message.subarray(COUNTER_BYTES);
    const chunks = Math.ceil(body.length / CHUNK_SEALED_BYTES);
    const lastLength = body.length - (chunks - 1) * CHUNK_SEALED_BYTES;
    if (lastLength < TAG_BYTES) return null; // a piece too short to be a chunk
    const payload = new Uint8Array(body.length - chunks * TAG_BYTES);
    for (let index = 0; index < chunks; index++) {
      const last = index === chunks - 1;
      const piece = body.subarray(index * CHUNK_SEALED_BYTES, last ? body.length : (index + 1) * CHUNK_SEALED_BYTES);
      const opened = this.crypto.open(this.keys.receive, chunkNonce(counter, index), piece, last ? LAST : MORE_FOLLOWS);
      if (opened === null) {
        payload.fill(0);
        return null;
      }
      payload.set(opened, index * CHUNK_PLAINTEXT_BYTES);
    }
    this.accept(counter);
    return payload;
  }

  private fresh(counter: bigint): boolean {
    if (counter > this.greatestReceived) return true;
    const age = this.greatestReceived - counter;
    return age < REPLAY_WINDOW && (this.receivedBits & (1n << age)) === 0n;
  }

  private accept(counter: bigint): void {
    if (counter > this.greatestReceived) {
      const shift = counter - this.greatestReceived;
      this.receivedBits = shift >= REPLAY_WINDOW ? 1n : ((this.receivedBits << shift) | 1n) & ((1n << REPLAY_WINDOW) - 1n);
      this.greatestReceived = counter;
    } else {
      this.receivedBits |= 1n << (this.greatestReceived - counter);
    }
  }
}
