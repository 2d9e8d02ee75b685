// A bounded first-in first-out queue of frames waiting for a socket to take them. When it is
// full (by count or by bytes), the oldest frames drop to make room: for tunnelled traffic a
// late packet is worth less than a new one (TCP inside the tunnel retransmits either way, and
// a queue that only ever grows is latency nobody asked for). The caller counts the drops.
//
// A ring of slots, so push and shift are O(1) with no array copying.

export interface QueueLimits {
  readonly frames: number;
  readonly bytes: number;
}

export class FrameQueue {
  private readonly slots: (Uint8Array | undefined)[];
  private head = 0;
  private count = 0;
  private queuedBytes = 0;

  constructor(private readonly limits: QueueLimits) {
    this.slots = new Array<Uint8Array | undefined>(limits.frames);
  }

  get length(): number {
    return this.count;
  }

  get bytes(): number {
    return this.queuedBytes;
  }

  // Appends `frame` (kept by reference: the caller must not write it again); returns the number
  // of older frames dropped to make room. A frame larger than the byte limit on its own is
  // still queued, alone (frames are at most 64 KiB; the byte limit is larger in practice).
  push(frame: Uint8Array): { dropped: number; droppedBytes: number } {
    let dropped = 0;
    let droppedBytes = 0;
    while (this.count > 0 && (this.count >= this.limits.frames || this.queuedBytes + frame.length > this.limits.bytes)) {
      droppedBytes += this.shift()!.length;
      dropped++;
    }
    this.slots[(this.head + this.count) % this.slots.length] = frame;
    this.count++;
    this.queuedBytes += frame.length;
    return { dropped, droppedBytes };
  }

  shift(): Uint8Array | undefined {
    if (this.count === 0) return undefined;
    const frame = this.slots[this.head]!;
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) % this.slots.length;
    this.count--;
    this.queuedBytes -= frame.length;
    return frame;
  }

  // Takes frames from the front until `maxBytes` would be exceeded (at least one frame, if any).
  take(maxBytes: number): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let taken = 0;
    while (this.count > 0) {
      const next = this.slots[this.head]!;
      if (frames.length > 0 && taken + next.length > maxBytes) break;
      frames.push(this.shift()!);
      taken += next.length;
    }
    return frames;
  }

  clear(): void {
    while (this.count > 0) this.shift();
  }
}
