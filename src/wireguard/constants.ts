// Protocol constants (whitepaper §6.1, and the values every implementation shares). Times in
// milliseconds; the message limits live in the WASM core, which enforces them per packet.

export const REKEY_AFTER_TIME_MS = 120_000;
export const REJECT_AFTER_TIME_MS = 180_000;
export const REKEY_ATTEMPT_TIME_MS = 90_000;
export const REKEY_TIMEOUT_MS = 5_000;
export const KEEPALIVE_TIMEOUT_MS = 10_000;
// Handshake retransmissions are jittered by up to a third of a second (whitepaper §6.5).
export const REKEY_TIMEOUT_JITTER_MAX_MS = 334;
// Give up a handshake after REKEY_ATTEMPT_TIME: this many retransmissions.
export const MAX_TIMER_HANDSHAKES = REKEY_ATTEMPT_TIME_MS / REKEY_TIMEOUT_MS;
// Key material is zeroed after this long without a new session (§6.3).
export const ZERO_KEY_MATERIAL_AFTER_MS = 3 * REJECT_AFTER_TIME_MS;
// The initiator re-keys on the receive path this close to REJECT_AFTER_TIME (§6.2), so a
// session that only receives is renewed before it expires.
export const REKEY_ON_RECEIVE_AFTER_MS = REJECT_AFTER_TIME_MS - KEEPALIVE_TIMEOUT_MS - REKEY_TIMEOUT_MS;
// At most 50 initiations per second from one peer are consumed (a replayed-timestamp flood
// still costs Curve25519 work, so rate-limit before it).
export const HANDSHAKE_INITIATION_RATE_MS = 20;
// Packets waiting for a session, per peer; the oldest are dropped beyond this.
export const MAX_STAGED_PACKETS = 128;
