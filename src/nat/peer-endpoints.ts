// The endpoint a mesh peer has in the WireGuard device: not an address packets go to, but the
// peer's name for the path layer. The device sends "to" it; the packet loop's side channel
// recognises it (by identity) and routes the packet along the peer's current path (direct,
// UDP relay, TCP relay). One per peer key, stable for the life of the process.
//
// The addresses are in 100::/64, IPv6's discard-only prefix (RFC 6666): were one ever to reach
// a socket, it would go nowhere. Port 1, numbers from 1 up; the device only needs an IP literal.

import type { Endpoint } from "../net/endpoint.js";

export interface PeerEndpoints {
  // The peer's endpoint (made on first use).
  of(peerKey: string): Endpoint;
  // The peer key of an endpoint this registry made, by identity; null for any other endpoint.
  peerOf(endpoint: Endpoint): string | null;
  // Forgets a peer (gone from the netmap); its number is not reused.
  forget(peerKey: string): void;
}

export function createPeerEndpoints(): PeerEndpoints {
  const byKey = new Map<string, Endpoint>();
  const byEndpoint = new WeakMap<Endpoint, string>();
  let next = 1;
  return {
    of(peerKey) {
      let endpoint = byKey.get(peerKey);
      if (endpoint === undefined) {
        endpoint = Object.freeze({ host: `100::${(next++).toString(16)}`, port: 1 });
        byKey.set(peerKey, endpoint);
        byEndpoint.set(endpoint, peerKey);
      }
      return endpoint;
    },
    peerOf: (endpoint) => byEndpoint.get(endpoint) ?? null,
    forget(peerKey) {
      const endpoint = byKey.get(peerKey);
      if (endpoint === undefined) return;
      byKey.delete(peerKey);
      byEndpoint.delete(endpoint);
    },
  };
}
