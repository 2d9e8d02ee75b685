// The admin password as stored: scrypt (RFC 7914, node:crypto) with a random salt, in one line
// `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (base64), so the cost can rise later and old hashes
// still verify. N = 2^15, r = 8 (32 MiB, ~0.1 s on a Raspberry Pi 4): slow for a guesser, fine
// for a login. And the first-run setup code: eight characters a person can read off a screen.

import { scrypt as scryptCallback, timingSafeEqual } from "node:crypto";
import { AdminInputError } from "./admin-api.js";

const LOG_N = 15;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const SALT_BYTES = 16;
const HASH_BYTES = 32;
const MIN_PASSWORD_LENGTH = 10;
const MAX_PASSWORD_LENGTH = 1024; // scrypt takes any length; a megabyte "password" is an attack

const FORMAT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

function scrypt(password: string, salt: Uint8Array, logN: number, r: number, p: number, length: number): Promise<Buffer> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) => {
    // maxmem above the 128·N·r bytes scrypt needs (Node's default, 32 MiB, is exactly that).
    scryptCallback(password.normalize("NFC"), salt, length, { N, r, p, maxmem: 256 * N * r }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** Why `password` cannot be the admin password, or null. */
export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH) return `use at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH) return `use at most ${MAX_PASSWORD_LENGTH} characters`;
  return null;
}

/** The stored line for `password`; AdminInputError("password") when it is too weak. */
export async function hashPassword(password: string, random: (bytes: number) => Uint8Array): Promise<string> {
  const problem = passwordProblem(password);
  if (problem !== null) throw new AdminInputError("password", problem);
  const salt = random(SALT_BYTES);
  const hash = await scrypt(password, salt, LOG_N, BLOCK_SIZE, PARALLELISM, HASH_BYTES);
  return `$scrypt$ln=${LOG_N},r=${BLOCK_SIZE},p=${PARALLELISM}$${Buffer.from(salt).toString("base64")}$${hash.toString("base64")}`;
}

// The parameters of a stored line, or null for a line that is not a hash of ours (or whose cost
// is out of bounds: refused rather than burning memory).
function parseStored(stored: string): { logN: number; r: number; p: number; salt: Buffer; hash: Buffer } | null {
  const match = FORMAT.exec(stored.trim());
  if (match === null) return null;
  const [logN, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (logN < 10 || logN > 20 || r < 1 || r > 32 || p < 1 || p > 16) return null;
  const salt = Buffer.from(match[4]!, "base64");
  const hash = Buffer.from(match[5]!, "base64");
  return salt.length >= 8 && hash.length >= 16 ? { logN, r, p, salt, hash } : null;
}

/** Whether `line` has the shape hashPassword() writes (a stored line that verifyPassword() can check). */
export function isPasswordHash(line: string): boolean {
  return parseStored(line) !== null;
}

/** Whether `password` matches `stored` (false for a line that is not a hash of ours). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseStored(stored);
  if (parsed === null || password.length > MAX_PASSWORD_LENGTH) return false;
  const { logN, r, p } = parsed;
  const expected = parsed.hash;
  const actual = await scrypt(password, parsed.salt, logN, r, p, expected.length);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

// Letters and digits that cannot be misread for one another (no 0/O, 1/I/L, 5/S, 8/B).
const CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY2345679";
const CODE_LENGTH = 8;

/** A one-time setup code, "XXXX-XXXX" (about 38 bits; it is also rate-limited per source). */
export function generateSetupCode(random: (bytes: number) => Uint8Array): string {
  let code = "";
  while (code.length < CODE_LENGTH) {
    for (const byte of random(CODE_LENGTH)) {
      // Rejection sampling keeps every character equally likely.
      if (byte < 256 - (256 % CODE_ALPHABET.length) && code.length < CODE_LENGTH) code += CODE_ALPHABET[byte % CODE_ALPHABET.length];
    }
  }
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** Whether `typed` is `code`, however it was typed (case, dash, spaces), in constant time. */
export function setupCodeMatches(code: string, typed: string): boolean {
  const normalize = (text: string): Buffer => Buffer.from(text.toUpperCase().replace(/[\s-]/g, "").padEnd(32, "\0").slice(0, 32));
  return timingSafeEqual(normalize(code), normalize(typed)) && typed.replace(/[\s-]/g, "").length === CODE_LENGTH;
}
