// The fields each section may hold, how each value is read, and what a valid value looks like
// (for error messages). Sources: wg(8) CONFIGURATION FILE FORMAT and wireguard-tools
// src/config.c for what wg reads; wg-quick(8) CONFIGURATION and parse_options() in
// src/wg-quick/linux.bash for the fields wg-quick handles itself.

import { isHostName, parseEndpoint, type Endpoint } from "../net/endpoint.js";
import { parseInterfaceAddress, parseIpAddress, parseIpPrefix, type IpPrefix } from "../net/ip-prefix.js";
import { decodeKey } from "./key-base64.js";
import type { InterfaceConfig } from "./config-model.js";

/** A [Peer] section while it is being read: its PublicKey may not have been seen yet. */
export interface PeerDraft {
  publicKey?: Uint8Array;
  presharedKey?: Uint8Array;
  allowedIps: IpPrefix[];
  endpoint?: Endpoint;
  persistentKeepalive?: number;
}

export interface FieldRule<Target> {
  /** The spelling wg(8) and wg-quick(8) document; files may use any letter case. */
  readonly name: string;
  /** What a valid value looks like, completing "expected …". */
  readonly expected: string;
  /** Lists and hooks may appear on several lines and accumulate; other fields once per section. */
  readonly repeatable: boolean;
  /** An empty value is an empty list ("AllowedIPs =" is accepted by wg); others need a value. */
  readonly mayBeEmpty: boolean;
  /** Hooks take the rest of the raw line, '#' included: wg-quick passes it to bash unchanged. */
  readonly keepsComment: boolean;
  /** Stores the value in `target`; returns what is wrong with it ("expected …, got …"), or null. */
  readonly read: (target: Target, value: string) => string | null;
}

const KEY = "a base64 WireGuard key (44 characters ending in '=')";
const MAX_FWMARK = 0xffffffff;

export const INTERFACE_FIELDS: readonly FieldRule<InterfaceConfig>[] = [
  secretKey("PrivateKey", (target, key) => (target.privateKey = key)),
  single("ListenPort", "a port from 0 to 65535", (text) => decimal(text, 0, 65535), (target, port) => {
    target.listenPort = port;
  }),
  single("FwMark", `"off" or a number from 0 to ${MAX_FWMARK} (decimal, or hex after "0x")`, parseFwMark,
    (target, mark) => (target.fwMark = mark)),
  list("Address", splitWords, "an IP address with an optional prefix length, like 10.0.0.1/24 or fd00::1/64",
    parseInterfaceAddress, (target) => target.addresses),
  list("DNS", splitWords, "a DNS server IP address or a search domain name", parseDnsEntry, (target) => target.dns),
  single("MTU", "a number from 68 to 65535", (text) => decimal(text, 68, 65535), (target, mtu) => (target.mtu = mtu)),
  single("Table", '"off", "auto", or a routing table number or name', parseTable, (target, table) => {
    target.table = table;
  }),
  hook("PreUp", (target) => target.preUp),
  hook("PostUp", (target) => target.postUp),
  hook("PreDown", (target) => target.preDown),
  hook("PostDown", (target) => target.postDown),
  single("SaveConfig", '"true" or "false"', parseBoolean, (target, save) => (target.saveConfig = save)),
];

export const PEER_FIELDS: readonly FieldRule<PeerDraft>[] = [
  single("PublicKey", KEY, decodeKey, (target, key) => (target.publicKey = key)),
  secretKey("PresharedKey", (target, key) => (target.presharedKey = key)),
  list("AllowedIPs", splitCommas, "an IP prefix like 10.0.0.0/24 or fd00::/64 (at most /32 for IPv4, /128 for IPv6)",
    parseIpPrefix, (target) => target.allowedIps),
  endpoint(),
  single("PersistentKeepalive", '"off" or a number of seconds from 0 to 65535', parseKeepalive, (target, seconds) => {
    if (seconds > 0) target.persistentKeepalive = seconds; // wg(8): "If set to 0 or "off", this option is disabled"
  }),
];

function single<Target, Value>(
  name: string,
  expected: string,
  parse: (text: string) => Value | null,
  store: (target: Target, value: Value) => void,
): FieldRule<Target> {
  return {
    name, expected, repeatable: false, mayBeEmpty: false, keepsComment: false,
    read(target, value) {
      const parsed = parse(value);
      if (parsed === null) return `expected ${expected}, got "${value}"`;
      store(target, parsed);
      return null;
    },
  };
}

/** A private or preshared key: a bad value is never repeated in the message, which may be logged. */
function secretKey<Target>(name: string, store: (target: Target, key: Uint8Array) => void): FieldRule<Target> {
  return {
    name, expected: KEY, repeatable: false, mayBeEmpty: false, keepsComment: false,
    read(target, value) {
      const key = decodeKey(value);
      if (key === null) return `expected ${KEY}, got ${value.length} characters that are not one (not shown: secret)`;
      store(target, key);
      return null;
    },
  };
}

/** A list field: entries are appended, across lines too. */
function list<Target, Value>(
  name: string,
  split: (value: string) => string[],
  expected: string,
  parse: (text: string) => Value | null,
  entries: (target: Target) => Value[],
): FieldRule<Target> {
  return {
    name, expected, repeatable: true, mayBeEmpty: true, keepsComment: false,
    read(target, value) {
      if (value === "") return null;
      const parsed: Value[] = [];
      for (const entry of split(value)) {
        const item = parse(entry);
        if (item === null) {
          const got = entry === "" ? `an empty entry in "${value}"` : `"${entry}"`;
          return `expected ${expected}, got ${got}`;
        }
        parsed.push(item);
      }
      entries(target).push(...parsed);
      return null;
    },
  };
}

function hook<Target>(name: string, entries: (target: Target) => string[]): FieldRule<Target> {
  return {
    name, expected: "a shell command", repeatable: true, mayBeEmpty: false, keepsComment: true,
    read(target, value) {
      entries(target).push(value);
      return null;
    },
  };
}

function endpoint(): FieldRule<PeerDraft> {
  const expected = "host:port or [IPv6 address]:port";
  return {
    name: "Endpoint", expected, repeatable: false, mayBeEmpty: false, keepsComment: false,
    read(target, value) {
      const parsed = parseEndpoint(value);
      if (!parsed.ok) return `expected ${expected} (${parsed.problem}), got "${value}"`;
      target.endpoint = parsed.endpoint;
      return null;
    },
  };
}

/** wg-quick: `${value//,/ }` then word splitting, so runs of commas and spaces are one break. */
function splitWords(value: string): string[] {
  return value.split(/[\s,]+/).filter((word) => word !== "");
}

/** wg(8): strsep at ',' after removing all whitespace; an empty entry ("a,,b", "a,") is an error. */
function splitCommas(value: string): string[] {
  return value.split(",").map((entry) => entry.trim());
}

function decimal(text: string, min: number, max: number): number | null {
  if (!/^[0-9]+$/.test(text)) return null;
  const value = Number(text);
  return value >= min && value <= max ? value : null;
}

/** wg(8): "If set to 0 or "off", this option is disabled. May be specified in hexadecimal by
 *  prepending "0x"" — a lowercase x only, as parse_fwmark in config.c checks. */
function parseFwMark(text: string): number | null {
  if (text.toLowerCase() === "off") return 0;
  if (!/^0x[0-9A-Fa-f]+$/.test(text)) return decimal(text, 0, MAX_FWMARK);
  const mark = parseInt(text.slice(2), 16);
  return mark <= MAX_FWMARK ? mark : null;
}

function parseKeepalive(text: string): number | null {
  return text.toLowerCase() === "off" ? 0 : decimal(text, 0, 65535);
}

/** wg-quick hands Table to `ip route ... table`: a number, a name from rt_tables, or off/auto.
 *  Characters beyond those could not be a table name and would reach a shell command. */
function parseTable(text: string): string | null {
  return /^[A-Za-z0-9_.-]+$/.test(text) ? text : null;
}

/** wg-quick's read_bool, under `shopt -s nocasematch`. */
function parseBoolean(text: string): boolean | null {
  const lower = text.toLowerCase();
  return lower === "true" ? true : lower === "false" ? false : null;
}

/** wg-quick treats an entry of digits and dots, or one with a colon, as a server address and
 *  the rest as search domains; an entry that looks like an address must be one. Kept as written. */
function parseDnsEntry(text: string): string | null {
  if (/^[0-9.]+$/.test(text) || text.includes(":")) return parseIpAddress(text) === null ? null : text;
  return isHostName(text) ? text : null;
}
