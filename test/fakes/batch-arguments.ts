// The checks the native addon makes on every batched read (src/io/native/meshgate_io.c,
// get_batch_args), so the fakes refuse what the real adapters refuse, with the same code.

const MAX_NATIVE_BATCH = 128;

export function checkBatch(buffer: ArrayBuffer, byteOffset: number, stride: number, count: number, maxLength: number, lengths: Uint32Array): void {
  const last = count === 0 ? 0 : stride * (count - 1);
  if (count > MAX_NATIVE_BATCH || count > lengths.length || byteOffset + last + maxLength > buffer.byteLength) {
    throw Object.assign(new RangeError("the batch does not fit the buffer"), { code: "ERANGE" });
  }
}
