// The data model of a WireGuard configuration file: what wg(8) reads (PrivateKey, ListenPort,
// FwMark; PublicKey, PresharedKey, AllowedIPs, Endpoint, PersistentKeepalive) plus the
// [Interface] fields wg-quick(8) handles itself before passing the rest to `wg setconf`.

import type { Endpoint } from "../net/endpoint.js";
import type { IpPrefix } from "../net/ip-prefix.js";

export type { Endpoint } from "../net/endpoint.js";

export interface InterfaceConfig {
  /** 32 bytes. */
  privateKey?: Uint8Array;
  /** 0..65535; 0 lets the kernel pick a port. */
  listenPort?: number;
  /** 0..2^32-1; "off" in a file reads as 0. */
  fwMark?: number;
  /** wg-quick: interface addresses with their host part kept (10.0.0.1/24 stays 10.0.0.1/24). */
  addresses: IpPrefix[];
  /** wg-quick: DNS servers (IP literals) and search domains (names), as written. */
  dns: string[];
  /** wg-quick: 68..65535. */
  mtu?: number;
  /** wg-quick: "off", "auto", a table number or name. */
  table?: string;
  /** wg-quick: bash snippets, run in order; "%i" stands for the interface name. */
  preUp: string[];
  postUp: string[];
  preDown: string[];
  postDown: string[];
  saveConfig?: boolean;
}

export interface PeerConfig {
  /** 32 bytes; unique among the peers of one file. */
  publicKey: Uint8Array;
  /** 32 bytes. */
  presharedKey?: Uint8Array;
  /** Masked prefixes (10.0.0.1/24 reads as 10.0.0.0/24, as the kernel stores it); may be empty. */
  allowedIps: IpPrefix[];
  endpoint?: Endpoint;
  /** Seconds, 1..65535; unset when the file says 0 or "off". */
  persistentKeepalive?: number;
}

export interface WireGuardConfig {
  interface: InterfaceConfig;
  peers: PeerConfig[];
}

/** An empty [Interface]: what a file with only [Peer] sections (valid for `wg addconf`) has. */
export function emptyInterfaceConfig(): InterfaceConfig {
  return { addresses: [], dns: [], preUp: [], postUp: [], preDown: [], postDown: [] };
}
