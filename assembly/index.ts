// The module's export list, and nothing else. Buffers are exported as addresses (immutable
// globals); src/dataplane/ makes its views from them once.

export { keySlotSet, keySlotClear } from "./keyslots";
export { sealBatch, openBatch } from "./batch";
export { aeadSeal, aeadOpen, xaeadSeal, xaeadOpen, chacha20, poly1305, hchacha20 } from "./oneshot";
export {
  keyStaging,
  descriptors,
  arena,
  oneShotKey,
  oneShotNonce,
  oneShotAad,
  oneShotData,
  oneShotOut,
  keyTable,
  transportDescriptors,
  keypairStaging,
} from "./layout";
export {
  allowedIpsInsert,
  allowedIpsRemove,
  allowedIpsRemovePeer,
  allowedIpsLookup,
  allowedIpsList,
  allowedIpsClear,
  allowedIpsAddress,
  allowedIpsEntries,
} from "./allowedips";
export { keypairInstall, keypairRevoke, peerSetKeypair, keypairsReset } from "./keypairs";
export { transportEncrypt, transportDecrypt, transportSetMtu } from "./transport";
