// The timings and bounds of path discovery (src/nat/README.md, "Disco"), by name. The times
// follow Tailscale's magicsock (wgengine/magicsock/endpoint.go), which has years of NATs behind
// it; where meshgate differs, the comment says why.

// A pong makes its endpoint usable for this long (Tailscale: trustUDPAddrDuration). Two
// heartbeats fit in it, so one lost pong does not lose the path.
export const TRUST_AFTER_PONG_MS = 6_500;

// A ping on the path in use this often while the peer is active (Tailscale: heartbeatInterval):
// keeps NAT mappings open (most UDP timeouts are ≥ 30 s) and the trust fresh.
export const HEARTBEAT_INTERVAL_MS = 3_000;

// A peer is active while we sent it data within this long (Tailscale: sessionActiveTimeout).
// Heartbeats and re-probes run only for active peers, so idle peers of a large netmap cost
// nothing. Not the brief's ~5 s: with 5 s, any pause longer than ~8 s in a flow (a shell, a
// chat) would let the trust lapse and move the peer to the relay, and its next packet after.
export const SESSION_ACTIVE_MS = 45_000;

// Every candidate is pinged again this often: rarely on a direct path (to find a better one),
// often while relayed (so a relay is never sticky: direct within ~5 s of becoming possible).
export const REPROBE_DIRECT_MS = 60_000;
export const REPROBE_RELAYED_MS = 5_000;
// A UDP peer relay carries a peer's packets only while that peer was heard through it this
// recently (the relay forwards only between nodes bound to it; hearing the peer through it
// proves the peer is bound). Its bindings live 30 s and are renewed every 20 s.
export const UDP_RELAY_HEARD_TRUST_MS = 30_000;

// A pong counts only within this long of its ping (Tailscale: pingTimeoutDuration).
export const PING_TIMEOUT_MS = 5_000;

// A full probe asked for by an event (trust lost, new candidates) waits at least this long
// after the previous one, so a burst of events is one probe.
export const PROBE_MIN_INTERVAL_MS = 1_000;

// callMeMaybe to a peer whose direct path is unknown or lost, at most this often.
export const CALL_ME_MAYBE_INTERVAL_MS = 5_000;

// A received callMeMaybe makes us ping every candidate at once; one a second per peer is acted
// on (a relay can replay a sealed callMeMaybe, which has no txid).
export const CALL_ME_MAYBE_ACT_INTERVAL_MS = 1_000;

// Switch from a working endpoint only to one at least this much faster (a fraction of its RTT):
// RTTs jitter, and every switch makes WireGuard roam.
export const SWITCH_MIN_GAIN = 0.1;

// Bounds on everything a peer (or anyone replaying its packets) can make us remember.
export const MAX_NETMAP_CANDIDATES = 16; // the first, most preferred, of the netmap's list
export const MAX_CALL_ME_MAYBE_CANDIDATES = 16; // also the most a callMeMaybe carries
export const MAX_DISCOVERED_CANDIDATES = 8; // source addresses of pings, oldest dropped first
export const MAX_OUTSTANDING_PINGS = 64; // per peer, oldest dropped first
// Per peer. A replay older than this many of the peer's pings is answered again (one pong, and
// its source becomes a ping-learnt candidate): 256 covers 30 s of the worst case (40 candidates
// probed every 5 s) and minutes of the usual few.
export const MAX_ANSWERED_TXIDS = 256;
export const MAX_OBSERVED_ENDPOINTS = 8; // our own endpoints as peers see them
