// The contract between the WASM core (assembly/) and its one bridge (src/dataplane/).
//
// This file is compiled twice: by asc into the module and by tsc into the TypeScript side, so it
// must stay in the subset both understand: plain `export const NAME = <integer expression>;`.
// Sizes are in bytes unless the name says otherwise.

// RFC 8439 §2.8: 256-bit key, 96-bit nonce, 128-bit tag.
export const KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
// draft-irtf-cfrg-xchacha §2: 192-bit nonce, of which HChaCha20 takes the first 128 bits.
export const XNONCE_BYTES = 24;
export const HCHACHA_NONCE_BYTES = 16;

// Largest plaintext one AEAD call accepts: an IPv4/IPv6 packet is at most 65,535 bytes.
export const MAX_MESSAGE_BYTES = 65535;
// Largest associated data of a one-shot call (WireGuard's handshake uses a 32-byte hash).
export const MAX_AAD_BYTES = 1024;

// Key slots hold the transport keys of every live keypair (send and receive keys of the
// previous/current/next keypair of each peer), addressed by index. Keypair k of the transport
// uses slots 2k (send) and 2k+1 (receive); the raw AEAD batch API addresses slots directly.
export const KEY_SLOT_COUNT = 8192;

// A batch is up to BATCH_MAX_SLOTS messages described by a descriptor table; the messages live
// in the packet arena at offsets the caller chooses (one ARENA_SLOT_BYTES stride per message
// fits the largest message plus header and tag).
export const BATCH_MAX_SLOTS = 128;
export const ARENA_SLOT_BYTES = 65536 + 64;
export const ARENA_BYTES = BATCH_MAX_SLOTS * ARENA_SLOT_BYTES;

// Batch descriptor layout, DESCRIPTOR_BYTES per message, little-endian:
//   0       8      12       16       20       24
//   +-------+------+--------+--------+--------+
//   |counter|key   |offset  |length  |status  |
//   |u64    |slot  |u32     |u32     |u32     |
//   +-------+------+--------+--------+--------+
// counter: WireGuard nonce counter (nonce = 4 zero bytes || counter, little-endian).
// offset:  where the message starts in the arena.
// length:  seal: plaintext bytes (the tag is appended after them, so offset + length + 16 must
//          fit in the arena); open: sealed bytes including the 16-byte tag.
// status:  written by the core, one of the STATUS_* codes below.
export const DESCRIPTOR_BYTES = 24;
export const DESCRIPTOR_COUNTER = 0;
export const DESCRIPTOR_KEY_SLOT = 8;
export const DESCRIPTOR_OFFSET = 12;
export const DESCRIPTOR_LENGTH = 16;
export const DESCRIPTOR_STATUS = 20;

// Status codes returned by one-shot calls and written per batch slot. Nothing the network sends
// can make the core trap: every bad input maps to one of these.
export const STATUS_OK = 0;
// The tag did not verify; no plaintext was written.
export const STATUS_AUTH_FAILED = 1;
// A length is out of range (message over MAX_MESSAGE_BYTES, sealed message shorter than a tag,
// AAD over MAX_AAD_BYTES, batch count over BATCH_MAX_SLOTS).
export const STATUS_BAD_LENGTH = 2;
// offset + length (+ tag) does not fit in the arena.
export const STATUS_OUT_OF_BOUNDS = 3;
// Key slot index is not below KEY_SLOT_COUNT.
export const STATUS_BAD_KEY_SLOT = 4;
// Key slot is empty (never set, or zeroed): refusing beats encrypting under an all-zero key.
export const STATUS_NO_KEY = 5;

// Peers are numbered 0..MAX_PEERS-1 by the protocol core; PEER_NONE means "no peer".
export const MAX_PEERS = 1024;
export const PEER_NONE = -1;

// AllowedIPs, the cryptokey routing table (whitepaper §2): longest-prefix match from an IPv4 or
// IPv6 address to a peer. Addresses cross the boundary in allowedIpsAddress (16 bytes, network
// byte order; an IPv4 address uses the first 4). The trie has a fixed pool of nodes.
export const ALLOWED_IPS_MAX_NODES = 65536;
// allowedIpsList() writes up to ALLOWED_IPS_LIST_MAX entries of ALLOWED_IPS_ENTRY_BYTES:
//   0        1      2        4                        20
//   +--------+------+--------+------------------------+
//   |family  |cidr  |reserved|address (16 bytes)      |
//   |4 or 6  |u8    |        |IPv4 in the first 4     |
//   +--------+------+--------+------------------------+
export const ALLOWED_IPS_LIST_MAX = 256;
export const ALLOWED_IPS_ENTRY_BYTES = 20;
// The node pool is exhausted: nothing was inserted.
export const STATUS_TABLE_FULL = 6;
// Family not 4 or 6, or cidr above 32 (IPv4) / 128 (IPv6).
export const STATUS_BAD_PREFIX = 7;
// remove() of a prefix that is not in the table.
export const STATUS_NOT_FOUND = 8;

// Keypairs (whitepaper §5.4.5): up to three per peer (previous, current, next). Each has a
// send counter, a receive replay window and a local receiver index the core maps back to it.
export const KEYPAIR_SLOT_COUNT = 3 * MAX_PEERS;
// keypairInstall() reads the send key then the receive key from keypairStaging (2 × 32 bytes).
export const KEYPAIR_STAGING_BYTES = 64;
// The local receiver index is already mapped to another keypair.
export const STATUS_INDEX_IN_USE = 9;

// Transport batches (whitepaper §5.4.6). A descriptor per packet, TRANSPORT_DESCRIPTOR_BYTES:
//   0        4        8        12       16         20         24       28       32
//   +--------+--------+--------+--------+----------+----------+--------+--------+
//   |offset  |length  |verdict |peer    |outOffset |outLength |keypair |flags   |
//   +--------+--------+--------+--------+----------+----------+--------+--------+
// Encrypt (TUN → network): the IP packet is at arena[offset + TRANSPORT_HEADER_BYTES ..
//   + length); the slot needs room for header, padding to 16 and the tag after it. length 0
//   means a keepalive for the peer given in `peer`. Output: the datagram at outOffset
//   (= offset), outLength bytes.
// Decrypt (network → TUN): the datagram is at arena[offset .. + length). Output: the inner
//   packet at outOffset, outLength bytes (padding stripped).
// verdict, peer (except a keepalive's input), outOffset, outLength, keypair and flags are
// written by the core; all are u32/i32 little-endian.
export const TRANSPORT_DESCRIPTOR_BYTES = 32;
export const TRANSPORT_OFFSET = 0;
export const TRANSPORT_LENGTH = 4;
export const TRANSPORT_VERDICT = 8;
export const TRANSPORT_PEER = 12;
export const TRANSPORT_OUT_OFFSET = 16;
export const TRANSPORT_OUT_LENGTH = 20;
export const TRANSPORT_KEYPAIR = 24;
export const TRANSPORT_FLAGS = 28;
// type (1) + reserved (3) + receiver index (4) + counter (8): the transport message header.
export const TRANSPORT_HEADER_BYTES = 16;

// Verdicts. Below 16 the packet goes somewhere; from 16 on it is dropped and the verdict is the
// reason (counted per reason and per peer).
export const VERDICT_SEND = 1; // encrypt: send outLength bytes at outOffset to `peer`
export const VERDICT_NO_SESSION = 2; // encrypt: `peer` has no usable keypair: queue, handshake
export const VERDICT_TO_TUN = 3; // decrypt: write the inner packet to the TUN
export const VERDICT_KEEPALIVE = 4; // decrypt: authentic empty packet (timers only)
export const VERDICT_HANDSHAKE = 5; // decrypt: message type 1, 2 or 3: for the protocol core
export const DROP_BAD_PACKET = 16; // encrypt: not an IPv4/IPv6 packet
export const DROP_NO_ROUTE = 17; // encrypt: destination matches no peer's AllowedIPs
export const DROP_OUT_OF_BOUNDS = 18; // descriptor points outside the arena or is too long
export const DROP_SHORT = 19; // decrypt: shorter than a header and a tag
export const DROP_BAD_TYPE = 20; // decrypt: not a WireGuard message type
export const DROP_UNKNOWN_INDEX = 21; // decrypt: receiver index names no keypair
export const DROP_EXPIRED = 22; // decrypt: keypair no longer valid for receiving
export const DROP_REPLAY = 23; // decrypt: counter seen before, too old, or at the limit
export const DROP_AUTH = 24; // decrypt: tag did not verify
// The two below are authentic packets (timers and roaming count them; `peer` is set).
export const DROP_ALLOWED_IPS = 25; // decrypt: inner source not in the sending peer's AllowedIPs
export const DROP_BAD_INNER = 26; // decrypt: inner packet is not a well-formed IPv4/IPv6 packet
export const DROP_BAD_PEER = 27; // encrypt: keepalive for a peer number out of range
// Flags.
export const FLAG_REKEY_DUE = 1; // encrypt: counter passed REKEY_AFTER_MESSAGES
