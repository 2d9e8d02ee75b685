// An OpenSSH public key line as it goes into authorized_keys: `type base64-blob [comment]`.
// The blob is the key in the SSH wire format (RFC 4253 §6.6): it opens with the key type as an
// SSH string (uint32 big-endian length, then the name), which must be the type the line names —
// and the rest must be the type's fields, each an SSH string, filling the blob exactly — so a key
// cut short or pasted from another line is caught before it locks anyone out.
// Options before the type (`from="…"`, `command="…"`) are not accepted: the first-boot file
// is for plain keys.

// Each type with the number of SSH strings in its blob, the type name included: RFC 8709 §4
// (ed25519: key), RFC 4253 §6.6 (rsa: e, n), RFC 5656 §3.1 (ecdsa: curve, Q), OpenSSH PROTOCOL.u2f
// (sk-*: the same plus the application string).
const FIELD_COUNTS: Readonly<Record<string, number>> = {
  "ssh-ed25519": 2,
  "ssh-rsa": 3,
  "ecdsa-sha2-nistp256": 3,
  "ecdsa-sha2-nistp384": 3,
  "ecdsa-sha2-nistp521": 3,
  "sk-ssh-ed25519@openssh.com": 3,
  "sk-ecdsa-sha2-nistp256@openssh.com": 4,
};
export const SSH_KEY_TYPES: readonly string[] = Object.keys(FIELD_COUNTS);

// The SSH strings (uint32 length, then the bytes) `blob` consists of, or null when they do not fill it exactly.
function sshStrings(blob: Buffer): Buffer[] | null {
  const strings: Buffer[] = [];
  for (let offset = 0; offset < blob.length; ) {
    if (offset + 4 > blob.length) return null;
    const length = blob.readUInt32BE(offset);
    if (offset + 4 + length > blob.length) return null;
    strings.push(blob.subarray(offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  return strings;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const MAX_LINE_CHARS = 16 * 1024; // an 16384-bit RSA key is ~2.8 KB of base64

/** The key line, normalised to single spaces, or why it is not one. */
export function parseSshPublicKey(text: string): { readonly line: string } | { readonly problem: string } {
  const line = text.trim();
  if (line.length > MAX_LINE_CHARS) return { problem: `is longer than any public key line (${MAX_LINE_CHARS} characters)` };
  if (/[\u0000-\u001f\u007f]/.test(line)) return { problem: "contains control characters: paste the key as one line" };
  const [type = "", blob = "", ...comment] = line.split(/\s+/);
  if (!SSH_KEY_TYPES.includes(type)) {
    const hint = type.startsWith("-----") ? " (that is a PEM file: use the .pub file's line)" : type.includes("PRIVATE") ? " (never a private key)" : "";
    return { problem: `does not start with a key type (${SSH_KEY_TYPES.join(", ")})${hint}: paste the line of your .pub file` };
  }
  if (blob === "") return { problem: `has no key after "${type}": paste the whole line of your .pub file` };
  const bytes = BASE64.test(blob) && blob.length % 4 === 0 ? Buffer.from(blob, "base64") : null;
  if (bytes === null || bytes.toString("base64") !== blob) return { problem: "the key is not valid base64: it may have been cut or wrapped; paste the whole line of your .pub file" };
  const nameLength = bytes.length >= 4 ? bytes.readUInt32BE(0) : -1;
  const embedded = nameLength >= 0 && 4 + nameLength <= bytes.length ? bytes.subarray(4, 4 + nameLength).toString("latin1") : null;
  if (embedded !== type) return { problem: `the key's data is not a ${type} key${embedded === null ? "" : ` (it says ${JSON.stringify(embedded)})`}: paste the whole line of your .pub file` };
  const fields = sshStrings(bytes);
  if (fields === null || fields.length !== FIELD_COUNTS[type]) return { problem: `the ${type} key is incomplete or has extra data: paste the whole line of your .pub file` };
  return { line: [type, blob, ...comment].join(" ") };
}

/** The type and blob of a key line: two lines with the same key but other comments are the same key. */
export const sshKeyIdentity = (line: string): string => line.trim().split(/\s+/).slice(0, 2).join(" ");
