// Why a packet was dropped: the WASM core's verdicts (src/dataplane/core-constants.ts) and the protocol
// core's own reasons, by name. Counted per device and per peer; never an exception.

import {
  DROP_ALLOWED_IPS,
  DROP_AUTH,
  DROP_BAD_INNER,
  DROP_BAD_PACKET,
  DROP_BAD_PEER,
  DROP_BAD_TYPE,
  DROP_EXPIRED,
  DROP_NO_ROUTE,
  DROP_OUT_OF_BOUNDS,
  DROP_REPLAY,
  DROP_SHORT,
  DROP_UNKNOWN_INDEX,
} from "../dataplane/core-constants.js";

const VERDICT_DROPS: Record<number, string> = {
  [DROP_BAD_PACKET]: "notIpPacket",
  [DROP_NO_ROUTE]: "noRoute",
  [DROP_OUT_OF_BOUNDS]: "tooLong",
  [DROP_SHORT]: "tooShort",
  [DROP_BAD_TYPE]: "unknownMessageType",
  [DROP_UNKNOWN_INDEX]: "unknownReceiverIndex",
  [DROP_EXPIRED]: "keypairExpired",
  [DROP_REPLAY]: "replay",
  [DROP_AUTH]: "authenticationFailed",
  [DROP_ALLOWED_IPS]: "sourceNotAllowed",
  [DROP_BAD_INNER]: "malformedInnerPacket",
  [DROP_BAD_PEER]: "unknownPeer",
};

export function verdictDropReason(verdict: number): string {
  return VERDICT_DROPS[verdict] ?? `verdict${verdict}`;
}

// Reasons decided in TypeScript (handshake path, queues).
export const Drop = {
  malformedHandshake: "malformedHandshake",
  badMac1: "badMac1",
  rateLimited: "rateLimited",
  rateLimiterFull: "rateLimiterFull",
  handshakeQueueFull: "handshakeQueueFull",
  noPrivateKey: "noPrivateKey",
  handshakeFailed: "handshakeFailed",
  initiationFlood: "initiationFlood",
  unexpectedResponse: "unexpectedResponse",
  badCookieReply: "badCookieReply",
  noEndpoint: "noEndpoint",
  noKeypairSlot: "noKeypairSlot",
  stagedOverflow: "stagedOverflow",
  handshakeGaveUp: "handshakeGaveUp",
} as const;
