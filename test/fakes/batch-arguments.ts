// The checks the native addon makes on every batched read (src/io/native/meshgate_io.c,
// get_batch_args), so the fakes refuse what the real adapters refuse, with the same code.

const MAX_NATIVE_BATCH = 128;

export function checkBatch(buffer: ArrayBuffer, byteOffset: number, stride: number, count: number, maxLength: number, lengths: Uint32Array): void {
  const last = count === 0 ? 0 : stride * (count - 1);
  if (count > MAX_NATIVE_BATCH || count > lengths.length || byteOffset + last + maxLength > buffer.byteLength) {
    throw Object.assign(new RangeError("the batch does not fit the buffer"), { code: "ERANGE" });
  }
}

// Packet i of a batch given by place (writeSlots, sendSlots), checked as the addon's
// gather_slots checks it.
export function slotView(buffer: ArrayBuffer, offset: number, length: number): Uint8Array {
  if (offset > buffer.byteLength || length > buffer.byteLength - offset) {
    throw Object.assign(new RangeError("a packet lies outside its buffer"), { code: "ERANGE" });
  }
  return new Uint8Array(buffer, offset, length);
}
