// IP addresses and prefixes as WireGuard configuration files write them.
//
// Parsing accepts what inet_pton(3) accepts, because wg(8) hands AllowedIPs to inet_pton:
// strict dotted quads (four decimal octets, no leading zeros) and RFC 4291 section 2.2 IPv6
// text (1-4 hex digits per group, one "::", an optional dotted IPv4 tail). Zone ids
// ("fe80::1%eth0") and brackets are not addresses and are rejected. Formatting is RFC 5952.

export type IpFamily = 4 | 6;

/** An IP address; `bytes` is 4 (IPv4) or 16 (IPv6) bytes in network order, owned by the value. */
export interface IpAddress {
  readonly family: IpFamily;
  readonly bytes: Uint8Array;
}

/**
 * An address with a prefix length. From `parseIpPrefix` the address is masked to `cidr`
 * (a route, as in AllowedIPs); from `parseInterfaceAddress` the host bits are kept (an
 * interface address, as in wg-quick's Address).
 */
export interface IpPrefix {
  readonly family: IpFamily;
  readonly address: Uint8Array;
  readonly cidr: number;
}

const IPV4_BYTES = 4;
const IPV6_BYTES = 16;
const IPV6_GROUPS = 8;

/** Parses an IPv4 dotted quad or IPv6 text; null when it is neither. */
export function parseIpAddress(text: string): IpAddress | null {
  if (text.includes(":")) {
    const bytes = parseIpv6(text);
    return bytes === null ? null : { family: 6, bytes };
  }
  const bytes = parseIpv4(text);
  return bytes === null ? null : { family: 4, bytes };
}

/** IPv4 as a dotted quad; IPv6 in RFC 5952 canonical text. */
export function formatIpAddress(address: IpAddress): string {
  return address.family === 4 ? formatIpv4(address.bytes) : formatIpv6(address.bytes);
}

/** Parses "address/cidr" or a bare address (a host route: /32 or /128) and masks off host bits. */
export function parseIpPrefix(text: string): IpPrefix | null {
  const prefix = parseInterfaceAddress(text);
  return prefix === null ? null : { ...prefix, address: maskAddress(prefix.address, prefix.cidr) };
}

/**
 * Parses "address/cidr" or a bare address like `parseIpPrefix` but keeps the host bits:
 * "10.0.0.1/24" is the address 10.0.0.1 on a /24, as `ip address add` takes it.
 */
export function parseInterfaceAddress(text: string): IpPrefix | null {
  const slash = text.indexOf("/");
  const address = parseIpAddress(slash === -1 ? text : text.slice(0, slash));
  if (address === null) return null;
  const maxCidr = address.bytes.length * 8;
  if (slash === -1) return { family: address.family, address: address.bytes, cidr: maxCidr };
  const cidrText = text.slice(slash + 1);
  // Decimal without leading zeros, like the octets: "/024" is more likely a typo than intent.
  if (!/^(0|[1-9][0-9]{0,2})$/.test(cidrText)) return null;
  const cidr = Number(cidrText);
  if (cidr > maxCidr) return null;
  return { family: address.family, address: address.bytes, cidr };
}

export function formatIpPrefix(prefix: IpPrefix): string {
  return `${formatIpAddress({ family: prefix.family, bytes: prefix.address })}/${prefix.cidr}`;
}

export function ipPrefixEquals(a: IpPrefix, b: IpPrefix): boolean {
  if (a.family !== b.family || a.cidr !== b.cidr || a.address.length !== b.address.length) return false;
  return a.address.every((byte, index) => byte === b.address[index]);
}

/** A copy of `address` with every bit after the first `cidr` bits cleared. */
function maskAddress(address: Uint8Array, cidr: number): Uint8Array {
  const masked = new Uint8Array(address.length);
  for (let index = 0; index < address.length; index++) {
    const bitsKept = Math.min(8, Math.max(0, cidr - index * 8));
    masked[index] = (address[index] ?? 0) & ((0xff00 >> bitsKept) & 0xff);
  }
  return masked;
}

function parseIpv4(text: string): Uint8Array | null {
  const octets = text.split(".");
  if (octets.length !== IPV4_BYTES) return null;
  const bytes = new Uint8Array(IPV4_BYTES);
  for (const [index, octet] of octets.entries()) {
    // glibc's inet_pton rejects a leading zero ("010"): other parsers read it as octal.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(octet)) return null;
    const value = Number(octet);
    if (value > 255) return null;
    bytes[index] = value;
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | null {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return null;
  const gap = text.indexOf("::");
  if (gap !== -1 && text.indexOf("::", gap + 1) !== -1) return null;
  const headText = gap === -1 ? text : text.slice(0, gap);
  const tailText = gap === -1 ? "" : text.slice(gap + 2);
  const head = parseGroups(headText, gap === -1);
  const tail = parseGroups(tailText, true);
  if (head === null || tail === null) return null;
  if (gap === -1 ? head.length !== IPV6_GROUPS : head.length + tail.length >= IPV6_GROUPS) {
    // Without "::" all eight groups are written; with it, "::" stands for at least one
    // zero group (RFC 4291 section 2.2, and inet_pton rejects "1:2:3:4::5:6:7:8").
    return null;
  }
  const groups = [...head, ...Array<number>(IPV6_GROUPS - head.length - tail.length).fill(0), ...tail];
  const bytes = new Uint8Array(IPV6_BYTES);
  for (const [index, group] of groups.entries()) {
    bytes[index * 2] = group >> 8;
    bytes[index * 2 + 1] = group & 0xff;
  }
  return bytes;
}

/**
 * Colon-separated 16-bit groups; "" is no groups. When `mayEndInIpv4` the last piece may be a
 * dotted quad (RFC 4291 section 2.2 form 3), which fills two groups.
 */
function parseGroups(text: string, mayEndInIpv4: boolean): number[] | null {
  if (text === "") return [];
  const pieces = text.split(":");
  const groups: number[] = [];
  for (const [index, piece] of pieces.entries()) {
    if (piece.includes(".")) {
      if (!mayEndInIpv4 || index !== pieces.length - 1) return null;
      const ipv4 = parseIpv4(piece);
      if (ipv4 === null) return null;
      groups.push(((ipv4[0] ?? 0) << 8) | (ipv4[1] ?? 0), ((ipv4[2] ?? 0) << 8) | (ipv4[3] ?? 0));
    } else {
      if (!/^[0-9A-Fa-f]{1,4}$/.test(piece)) return null;
      groups.push(parseInt(piece, 16));
    }
  }
  return groups;
}

function formatIpv4(bytes: Uint8Array): string {
  return Array.from(bytes, String).join(".");
}

/** RFC 5952 section 4: lowercase, no leading zeros, the longest run of two or more zero groups
 *  (the first such run on a tie) as "::"; section 5: IPv4-mapped addresses end in a dotted quad. */
function formatIpv6(bytes: Uint8Array): string {
  const isIpv4Mapped = bytes.subarray(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (isIpv4Mapped) return `::ffff:${formatIpv4(bytes.subarray(12))}`;

  const groups = Array.from({ length: IPV6_GROUPS }, (_, index) => {
    return ((bytes[index * 2] ?? 0) << 8) | (bytes[index * 2 + 1] ?? 0);
  });
  let bestStart = -1;
  let bestLength = 1; // a single zero group is never compressed (RFC 5952 section 4.2.2)
  for (let start = 0; start < IPV6_GROUPS; start++) {
    let length = 0;
    while (start + length < IPV6_GROUPS && groups[start + length] === 0) length++;
    if (length > bestLength) {
      bestStart = start;
      bestLength = length;
    }
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart === -1) return hex.join(":");
  const head = hex.slice(0, bestStart).join(":");
  const tail = hex.slice(bestStart + bestLength).join(":");
  return `${head}::${tail}`;
}
