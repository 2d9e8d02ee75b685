// The WASM core's constants that the protocol core above needs: capacities, AEAD sizes,
// per-packet verdicts and drop codes. assembly/abi.ts is the contract between the WASM core
// and this folder; everything above src/dataplane reaches it only through here, so a layout
// change stays inside the bridge.

export {
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
  FLAG_REKEY_DUE,
  KEYPAIR_SLOT_COUNT,
  MAX_PEERS,
  NONCE_BYTES,
  TAG_BYTES,
  VERDICT_HANDSHAKE,
  VERDICT_KEEPALIVE,
  VERDICT_NO_SESSION,
  VERDICT_SEND,
  VERDICT_TO_TUN,
} from "../../assembly/abi.js";
