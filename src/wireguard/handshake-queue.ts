// Handshake messages waiting for the device's handshake work (the queue in front of
// wireguard-go's RoutineHandshake and the kernel's incoming_handshakes): the receive path only
// copies an initiation or response in, with no cryptography, or drops it when the queue is
// full; device-handshake.ts then works through it oldest first, within the handshake budget.
// A flood beyond what the budget allows costs a copy or a dropped count, never Curve25519.
//
// Memory: `capacity` slots of INITIATION_BYTES (the longest handshake message), made once. A
// message returned by take() is a view into its slot, valid until a later push reuses the slot
// (handle it before receiving more).

import type { Endpoint } from "../net/endpoint.js";
import { INITIATION_BYTES } from "./messages.js";

// wireguard-go's QueueHandshakeSize.
export const HANDSHAKE_QUEUE_CAPACITY = 1024;

export interface QueuedHandshake {
  readonly bytes: Uint8Array;
  readonly from: Endpoint;
}

export interface HandshakeQueue {
  readonly capacity: number;
  readonly length: number;
  // When the oldest waiting message arrived; null when the queue is empty.
  readonly oldestAt: number | null;
  // Copies `bytes` (at most INITIATION_BYTES) in; false when the queue is full.
  push(now: number, bytes: Uint8Array, from: Endpoint): boolean;
  take(): QueuedHandshake | null;
  clear(): void;
}

export function createHandshakeQueue(capacity = HANDSHAKE_QUEUE_CAPACITY): HandshakeQueue {
  const slots = new Uint8Array(capacity * INITIATION_BYTES);
  const lengths = new Uint8Array(capacity);
  const arrivedAt = new Float64Array(capacity);
  const sources: (Endpoint | undefined)[] = new Array<Endpoint | undefined>(capacity);
  let head = 0; // the oldest message
  let length = 0;
  return {
    capacity,
    get length() {
      return length;
    },
    get oldestAt() {
      return length === 0 ? null : arrivedAt[head]!;
    },
    push(now, bytes, from) {
      if (length === capacity) return false;
      if (bytes.length > INITIATION_BYTES) throw new RangeError(`a queued handshake message is at most ${INITIATION_BYTES} bytes`);
      const slot = (head + length) % capacity;
      slots.set(bytes, slot * INITIATION_BYTES);
      lengths[slot] = bytes.length;
      arrivedAt[slot] = now;
      sources[slot] = from;
      length++;
      return true;
    },
    take() {
      if (length === 0) return null;
      const slot = head;
      const from = sources[slot]!;
      sources[slot] = undefined;
      head = (head + 1) % capacity;
      length--;
      const start = slot * INITIATION_BYTES;
      return { bytes: slots.subarray(start, start + lengths[slot]!), from };
    },
    clear() {
      sources.fill(undefined);
      head = 0;
      length = 0;
    },
  };
}
