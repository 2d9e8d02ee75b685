// The TCP relay's wire format (src/nat/README.md, "TCP relay"): after `GET /relay/v1` with
// `Upgrade: meshgate-relay` → `101 Switching Protocols`, both directions carry frames
//
//   frame = type (1) ‖ length (u32 BE) ‖ body (length bytes, at most 65,535)
//
//   0x01 serverHello  server → client  server key (32) ‖ challenge (32)
//   0x02 clientAuth   client → server  node key (32) ‖ proof (16)          (relay-proof.ts)
//   0x03 ready        server → client  —
//   0x04 send         client → server  destination node key (32) ‖ packet (1..65,503)
//   0x05 recv         server → client  source node key (32) ‖ packet (1..65,503)
//   0x06 peerGone     server → client  node key (32): not connected here
//   0x07 keepAlive    both             —
//   0x08 error        server → client  UTF-8 reason (at most 1,024 bytes); the server closes
//
// The decoder takes TCP chunks of any size and never throws: a frame whose type is unknown, not
// expected in this direction or state, or whose length does not fit its type, is a framing
// error — the stream is out of step and the connection must close. Lengths are checked at the
// header, before any body is buffered, so a peer can make us hold at most one frame of a type
// we expect (before authentication: a 48-byte clientAuth).

export const RELAY_PATH = "/relay/v1";
export const RELAY_UPGRADE_TOKEN = "meshgate-relay";

export const FRAME_HEADER_BYTES = 5;
export const MAX_FRAME_BODY_BYTES = 65_535;
export const NODE_KEY_BYTES = 32;
export const CHALLENGE_BYTES = 32;
export const PROOF_BYTES = 16;
export const MAX_ERROR_REASON_BYTES = 1024;
export const MAX_RELAYED_PACKET_BYTES = MAX_FRAME_BODY_BYTES - NODE_KEY_BYTES;

export const FrameType = {
  serverHello: 0x01,
  clientAuth: 0x02,
  ready: 0x03,
  send: 0x04,
  recv: 0x05,
  peerGone: 0x06,
  keepAlive: 0x07,
  error: 0x08,
} as const;
export type FrameTypeName = keyof typeof FrameType;

// [min, max] body length of each type, indexed by type byte (0 and > 8: no such type).
const BODY_LENGTHS: readonly (readonly [number, number] | undefined)[] = [
  undefined,
  [NODE_KEY_BYTES + CHALLENGE_BYTES, NODE_KEY_BYTES + CHALLENGE_BYTES],
  [NODE_KEY_BYTES + PROOF_BYTES, NODE_KEY_BYTES + PROOF_BYTES],
  [0, 0],
  [NODE_KEY_BYTES + 1, MAX_FRAME_BODY_BYTES],
  [NODE_KEY_BYTES + 1, MAX_FRAME_BODY_BYTES],
  [NODE_KEY_BYTES, NODE_KEY_BYTES],
  [0, 0],
  [0, MAX_ERROR_REASON_BYTES],
];

// Decoded frames. Keys and packets are views into the chunk they arrived in (or a buffer the
// decoder filled for a frame split across chunks); the decoder never writes them again, so
// they may be kept, but keeping one keeps its chunk alive: copy what you hold long.
export type RelayFrame =
  | { readonly type: "serverHello"; readonly serverKey: Uint8Array; readonly challenge: Uint8Array }
  | { readonly type: "clientAuth"; readonly nodeKey: Uint8Array; readonly proof: Uint8Array }
  | { readonly type: "ready" }
  | { readonly type: "send"; readonly key: Uint8Array; readonly packet: Uint8Array }
  | { readonly type: "recv"; readonly key: Uint8Array; readonly packet: Uint8Array }
  | { readonly type: "peerGone"; readonly key: Uint8Array }
  | { readonly type: "keepAlive" }
  | { readonly type: "error"; readonly reason: string };

export type FramingError = "unknown_type" | "unexpected_type" | "bad_length";

export interface FrameDecoder {
  // Decodes `chunk`, calling `onFrame` for each complete frame in order; `onFrame` returns false
  // to stop (the connection is closing: the rest of the input is ignored, now and later).
  // Returns the framing error that put the stream out of step (then, and on every later push),
  // or null.
  push(chunk: Uint8Array, onFrame: (frame: RelayFrame) => boolean): FramingError | null;
  // Bytes held for an incomplete frame.
  readonly buffered: number;
}

const reasonDecoder = new TextDecoder("utf-8", { fatal: false });

function decodeBody(type: number, body: Uint8Array): RelayFrame {
  switch (type) {
    case FrameType.serverHello:
      return { type: "serverHello", serverKey: body.subarray(0, NODE_KEY_BYTES), challenge: body.subarray(NODE_KEY_BYTES) };
    case FrameType.clientAuth:
      return { type: "clientAuth", nodeKey: body.subarray(0, NODE_KEY_BYTES), proof: body.subarray(NODE_KEY_BYTES) };
    case FrameType.ready:
      return { type: "ready" };
    case FrameType.send:
      return { type: "send", key: body.subarray(0, NODE_KEY_BYTES), packet: body.subarray(NODE_KEY_BYTES) };
    case FrameType.recv:
      return { type: "recv", key: body.subarray(0, NODE_KEY_BYTES), packet: body.subarray(NODE_KEY_BYTES) };
    case FrameType.peerGone:
      return { type: "peerGone", key: body };
    case FrameType.keepAlive:
      return { type: "keepAlive" };
    default:
      return { type: "error", reason: reasonDecoder.decode(body) };
  }
}

// `expects(type)` says whether a frame of this type may come next (the direction, and the
// reader's state: a server before authentication expects only clientAuth). It is asked at
// each header, after the frames before it were handled, so a change of state that a frame
// causes applies from the next frame on, even within one chunk.
export function createFrameDecoder(expects: (type: number) => boolean): FrameDecoder {
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  let headerFilled = 0;
  let body: Uint8Array | null = null; // the body of a frame split across chunks
  let bodyFilled = 0;
  let bodyType = 0;
  let failed: FramingError | null = null;
  let stopped = false;

  const check = (type: number, length: number): FramingError | null => {
    const range = BODY_LENGTHS[type];
    if (range === undefined) return "unknown_type";
    if (!expects(type)) return "unexpected_type";
    return length < range[0] || length > range[1] ? "bad_length" : null;
  };

  return {
    get buffered() {
      return headerFilled + bodyFilled;
    },
    push(chunk, onFrame) {
      let offset = 0;
      while (failed === null && !stopped && offset < chunk.length) {
        if (body !== null) {
          const take = Math.min(body.length - bodyFilled, chunk.length - offset);
          body.set(chunk.subarray(offset, offset + take), bodyFilled);
          bodyFilled += take;
          offset += take;
          if (bodyFilled === body.length) {
            const complete = body;
            body = null;
            bodyFilled = 0;
            stopped = !onFrame(decodeBody(bodyType, complete));
          }
          continue;
        }
        let type: number;
        let length: number;
        if (headerFilled === 0 && chunk.length - offset >= FRAME_HEADER_BYTES) {
          type = chunk[offset]!;
          length = readU32(chunk, offset + 1);
          offset += FRAME_HEADER_BYTES;
        } else {
          const take = Math.min(FRAME_HEADER_BYTES - headerFilled, chunk.length - offset);
          header.set(chunk.subarray(offset, offset + take), headerFilled);
          headerFilled += take;
          offset += take;
          // A known type that is wrong here fails at its first byte, before its length arrives.
          if (headerFilled < FRAME_HEADER_BYTES) {
            failed = BODY_LENGTHS[header[0]!] === undefined ? "unknown_type" : expects(header[0]!) ? null : "unexpected_type";
            continue;
          }
          headerFilled = 0;
          type = header[0]!;
          length = readU32(header, 1);
        }
        failed = check(type, length);
        if (failed !== null) break;
        // The whole body is in this chunk: a view, no copy.
        if (chunk.length - offset >= length) {
          const frame = decodeBody(type, chunk.subarray(offset, offset + length));
          offset += length;
          stopped = !onFrame(frame);
        } else {
          body = new Uint8Array(length);
          bodyType = type;
        }
      }
      return failed;
    },
  };
}

function readU32(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}

// One frame: header and body parts copied into one fresh buffer (one socket write each).
function frame(type: number, ...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  if (length > MAX_FRAME_BODY_BYTES) throw new RangeError(`a relay frame body is at most ${MAX_FRAME_BODY_BYTES} bytes, got ${length}`);
  const bytes = new Uint8Array(FRAME_HEADER_BYTES + length);
  bytes[0] = type;
  bytes[1] = length >>> 24;
  bytes[2] = (length >>> 16) & 0xff;
  bytes[3] = (length >>> 8) & 0xff;
  bytes[4] = length & 0xff;
  let offset = FRAME_HEADER_BYTES;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

function requireLength(what: string, bytes: Uint8Array, length: number): void {
  if (bytes.length !== length) throw new RangeError(`${what} must be ${length} bytes, got ${bytes.length}`);
}

function requirePacket(packet: Uint8Array): void {
  if (packet.length < 1 || packet.length > MAX_RELAYED_PACKET_BYTES) throw new RangeError(`a relayed packet is 1 to ${MAX_RELAYED_PACKET_BYTES} bytes, got ${packet.length}`);
}

// Encoders: inputs are only read; each result is a fresh buffer. They throw only for a caller's
// mistake (a key of the wrong size, an empty or oversized packet).
export function encodeServerHello(serverKey: Uint8Array, challenge: Uint8Array): Uint8Array {
  requireLength("the server key", serverKey, NODE_KEY_BYTES);
  requireLength("the challenge", challenge, CHALLENGE_BYTES);
  return frame(FrameType.serverHello, serverKey, challenge);
}

export function encodeClientAuth(nodeKey: Uint8Array, proof: Uint8Array): Uint8Array {
  requireLength("the node key", nodeKey, NODE_KEY_BYTES);
  requireLength("the proof", proof, PROOF_BYTES);
  return frame(FrameType.clientAuth, nodeKey, proof);
}

export function encodeSend(destination: Uint8Array, packet: Uint8Array): Uint8Array {
  requireLength("the destination key", destination, NODE_KEY_BYTES);
  requirePacket(packet);
  return frame(FrameType.send, destination, packet);
}

export function encodeRecv(source: Uint8Array, packet: Uint8Array): Uint8Array {
  requireLength("the source key", source, NODE_KEY_BYTES);
  requirePacket(packet);
  return frame(FrameType.recv, source, packet);
}

export function encodePeerGone(key: Uint8Array): Uint8Array {
  requireLength("the node key", key, NODE_KEY_BYTES);
  return frame(FrameType.peerGone, key);
}

export const encodeReady = (): Uint8Array => frame(FrameType.ready);
export const encodeKeepAlive = (): Uint8Array => frame(FrameType.keepAlive);

// The reason is cut to 1,024 bytes (at a character boundary).
export function encodeError(reason: string): Uint8Array {
  let bytes = new TextEncoder().encode(reason);
  if (bytes.length > MAX_ERROR_REASON_BYTES) {
    let end = MAX_ERROR_REASON_BYTES;
    while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
    bytes = bytes.subarray(0, end);
  }
  return frame(FrameType.error, bytes);
}

// Which frames each side reads: a server reads what clients send, a client what servers send.
export const CLIENT_TO_SERVER: ReadonlySet<number> = new Set([FrameType.clientAuth, FrameType.send, FrameType.keepAlive]);
export const SERVER_TO_CLIENT: ReadonlySet<number> = new Set([
  FrameType.serverHello,
  FrameType.ready,
  FrameType.recv,
  FrameType.peerGone,
  FrameType.keepAlive,
  FrameType.error,
]);
