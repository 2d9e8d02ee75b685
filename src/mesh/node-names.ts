// Node names: the machine's hostname as a DNS label (RFC 1123: a–z, 0–9, hyphen, at most 63),
// made unique in the mesh with -2, -3… so names can later serve as MagicDNS-style host names.

const MAX_LABEL = 63;

export function nodeNameFromHostname(hostname: string): string {
  const label = hostname
    .toLowerCase()
    .split(".")[0]!
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, MAX_LABEL);
  return label.length > 0 ? label : "node";
}

export function uniqueNodeName(hostname: string, taken: Pick<ReadonlySet<string>, "has">): string {
  const base = nodeNameFromHostname(hostname);
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const name = `${base.slice(0, MAX_LABEL - suffix.length)}${suffix}`;
    if (!taken.has(name)) return name;
  }
}
