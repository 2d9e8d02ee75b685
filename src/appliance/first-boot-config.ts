// meshgate.conf: the settings a person writes on the SD card's boot partition (FAT, editable
// from any computer) before the Pi's first boot; image/meshgate.conf.example documents it.
//
// Format: `key = value` lines, `#` comments, blank lines. A value may be quoted ("…", with \" and
// \\ inside) to keep spaces at its ends or a " #"; unquoted, it ends at a "#" after whitespace.
// CRLF line endings and a UTF-8 byte order mark (what Windows editors write) are accepted.
//
// Parsing is pure and all or nothing: every problem is collected with its line and field, so one
// boot shows the person all of them, and settings come out only when there is none.

import { isPasswordHash, passwordProblem } from "../admin/password.js";
import { changeRoutingPrefs, DEFAULT_ROUTING_PREFS, parseAdvertiseRoutesOption, RoutingPrefsError, type RoutingPrefsChange } from "../mesh/routing-prefs.js";
import { RouteSpecError } from "../net/subnet-route.js";
import { parseSshPublicKey } from "./ssh-public-key.js";
import { parseWifiCountry, ssidProblem, wifiPasswordProblem, type WifiSettings } from "./wifi.js";

export const CONFIG_FILE_NAME = "meshgate.conf";

const KEYS = [
  "hostname",
  "admin_password",
  "admin_password_hash",
  "coordinator",
  "auth_key",
  "advertise_routes",
  "advertise_exit_node",
  "wifi_country",
  "wifi_ssid",
  "wifi_password",
  "ssh_authorized_key",
] as const;
type Key = (typeof KEYS)[number];
const REPEATABLE: ReadonlySet<Key> = new Set(["ssh_authorized_key"]);

/** The settings whose values are secrets: gone from the boot partition once applied. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(["admin_password", "admin_password_hash", "auth_key", "wifi_password"]);
export const REMOVED_VALUE = "(removed after first boot)";

export interface FirstBootSettings {
  readonly hostname: string | null;
  readonly adminPassword: { readonly kind: "plain"; readonly password: string } | { readonly kind: "hash"; readonly line: string } | null;
  // null: this Pi is its own coordinator (meshgate start runs one).
  readonly coordinator: { readonly url: string; readonly authKey: string } | null;
  // Only the fields given (advertiseRoutes, advertiseExitNode); empty when none is.
  readonly routing: RoutingPrefsChange;
  readonly wifi: WifiSettings | null;
  readonly sshAuthorizedKeys: readonly string[];
}

export interface ConfigProblem {
  readonly line: number; // 1-based
  readonly field?: string;
  readonly message: string;
}

export type ParsedFirstBootConfig = { readonly settings: FirstBootSettings } | { readonly errors: readonly ConfigProblem[] };

/** `meshgate.conf line 3 (hostname): …` */
export const formatConfigProblem = (problem: ConfigProblem): string =>
  `${CONFIG_FILE_NAME} line ${problem.line}${problem.field === undefined ? "" : ` (${problem.field})`}: ${problem.message}`;

interface Assignment {
  readonly line: number;
  readonly key: string;
  readonly value: string;
  readonly valueStart: number; // where the value (with its quotes) starts in the line's text
  readonly valueEnd: number;
}

const splitLines = (text: string): string[] => text.replace(/^\uFEFF/, "").split(/\r\n|\n|\r/);

// One line: null for a blank or comment line, a problem, or key = value.
function scanLine(text: string, line: number): Assignment | ConfigProblem | null {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed.startsWith("#")) return null;
  const equals = text.indexOf("=");
  if (equals < 0) return { line, message: `no "=": write a setting as name = value (or start the line with # to make it a comment)` };
  const key = text.slice(0, equals).trim().toLowerCase();
  if (key === "") return { line, message: `no setting name before "="` };
  let start = equals + 1;
  while (start < text.length && /\s/.test(text[start]!)) start++;
  if (text[start] !== '"') {
    const comment = /\s#/.exec(text.slice(start - 1));
    const end = comment === null ? text.length : start - 1 + comment.index;
    const value = text.slice(start, end).trim();
    return { line, key, value, valueStart: start, valueEnd: start + value.length };
  }
  let value = "";
  for (let i = start + 1; i < text.length; i++) {
    const character = text[i]!;
    if (character === "\\" && (text[i + 1] === '"' || text[i + 1] === "\\")) {
      value += text[++i];
    } else if (character === '"') {
      const rest = text.slice(i + 1).trim();
      if (rest !== "" && !rest.startsWith("#")) return { line, field: key, message: `text after the closing quote: put the whole value inside the quotes` };
      return { line, key, value, valueStart: start, valueEnd: i + 1 };
    } else {
      value += character;
    }
  }
  return { line, field: key, message: `the quote is not closed: end the value with "` };
}

// Edit distance, for "did you mean".
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

function unknownKey(key: string): string {
  const closest = [...KEYS].sort((a, b) => distance(key, a) - distance(key, b))[0]!;
  const hint = distance(key, closest) <= Math.max(2, Math.floor(closest.length / 4)) ? ` (did you mean "${closest}"?)` : ` (known settings: ${KEYS.join(", ")})`;
  return `unknown setting "${key}"${hint}`;
}

const HOSTNAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

function hostnameProblem(name: string, typed: string): string | null {
  if (name.length > 63) return `"${typed}" is too long for a hostname: use at most 63 characters`;
  if (!/^[a-z0-9-]+$/.test(name)) return `"${typed}" is not a valid hostname: use letters, digits and "-"`;
  if (!HOSTNAME.test(name)) return `"${typed}" is not a valid hostname: it must not start or end with "-"`;
  return null;
}

function coordinatorProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `"${url}" is not a URL: write the coordinator's address as http://HOST:PORT or https://HOST`;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return `"${url}" is not an http:// or https:// URL`;
  if (parsed.username !== "" || parsed.password !== "") return "the URL must not hold a user name or password";
  // It goes into a systemd environment file and onto a command line, split at spaces.
  if (!/^[\x21-\x7e]+$/.test(url) || /["'\\$`]/.test(url)) return `"${url}" has characters a URL does not need (spaces, quotes, \\, $ or \`)`;
  return null;
}

const BOOLEANS: Readonly<Record<string, boolean>> = { true: true, yes: true, "1": true, false: false, no: false, "0": false };

/** The settings of a meshgate.conf, or every problem in it (then nothing may be applied). */
export function parseFirstBootConfig(text: string): ParsedFirstBootConfig {
  const errors: ConfigProblem[] = [];
  const seen = new Map<Key, Assignment[]>();
  splitLines(text).forEach((content, index) => {
    const scanned = scanLine(content, index + 1);
    if (scanned === null) return;
    if (!("key" in scanned)) return void errors.push(scanned);
    if (!(KEYS as readonly string[]).includes(scanned.key)) return void errors.push({ line: scanned.line, message: unknownKey(scanned.key) });
    const key = scanned.key as Key;
    const earlier = seen.get(key);
    if (earlier !== undefined && !REPEATABLE.has(key)) {
      return void errors.push({ line: scanned.line, field: key, message: `${key} is already set on line ${earlier[0]!.line}: keep one of the two` });
    }
    if (scanned.value === "") return void errors.push({ line: scanned.line, field: key, message: `no value: give one, or remove the line (or put # before it)` });
    seen.set(key, [...(earlier ?? []), scanned]);
  });

  const one = (key: Key): Assignment | undefined => seen.get(key)?.[0];
  const problem = (at: Assignment, message: string | null): boolean => (message === null ? false : (errors.push({ line: at.line, field: at.key, message }), true));
  const requires = (present: Key, needed: Key, why: string): void => {
    const at = one(present);
    if (at !== undefined && one(needed) === undefined) problem(at, `${present} needs ${needed} (${why})`);
  };

  const hostnameAt = one("hostname");
  const hostname = hostnameAt?.value.toLowerCase() ?? null;
  if (hostnameAt !== undefined) problem(hostnameAt, hostnameProblem(hostname!, hostnameAt.value));

  const plain = one("admin_password");
  const hash = one("admin_password_hash");
  if (plain !== undefined && hash !== undefined) {
    const [first, second] = plain.line < hash.line ? [plain, hash] : [hash, plain];
    problem(second, `set admin_password or admin_password_hash, not both (${first.key} is on line ${first.line})`);
  }
  if (plain !== undefined) problem(plain, passwordProblem(plain.value) === null ? null : `the admin password is too weak: ${passwordProblem(plain.value)}`);
  if (hash !== undefined && !isPasswordHash(hash.value)) {
    problem(hash, "is not a hash meshgate writes: it looks like $scrypt$ln=15,r=8,p=1$SALT$HASH (meshgate appliance hash-password prints one)");
  }

  const coordinator = one("coordinator");
  const authKey = one("auth_key");
  requires("coordinator", "auth_key", "a pre-auth key from that coordinator: meshgate keys create");
  requires("auth_key", "coordinator", "the URL of the coordinator the key is from");
  if (coordinator !== undefined) problem(coordinator, coordinatorProblem(coordinator.value));
  if (authKey !== undefined && !/^[\x21-\x7e]{1,200}$/.test(authKey.value)) problem(authKey, "an auth key is one word of printable characters: paste it as meshgate keys create printed it");

  const routing: Record<string, unknown> = {};
  const routes = one("advertise_routes");
  if (routes !== undefined) {
    try {
      routing["advertiseRoutes"] = parseAdvertiseRoutesOption(routes.value);
    } catch (error) {
      if (!(error instanceof RouteSpecError)) throw error;
      problem(routes, error.message);
    }
  }
  const exitNode = one("advertise_exit_node");
  if (exitNode !== undefined) {
    const value = BOOLEANS[exitNode.value.toLowerCase()];
    if (value === undefined) problem(exitNode, `"${exitNode.value}" is not true or false (also: yes/no, 1/0)`);
    else routing["advertiseExitNode"] = value;
  }
  try {
    changeRoutingPrefs(DEFAULT_ROUTING_PREFS, routing as RoutingPrefsChange);
  } catch (error) {
    if (!(error instanceof RoutingPrefsError)) throw error;
    if (routes !== undefined && !errors.some((e) => e.line === routes.line)) problem(routes, error.message);
  }

  const country = one("wifi_country");
  const ssid = one("wifi_ssid");
  const wifiPassword = one("wifi_password");
  requires("wifi_ssid", "wifi_country", "the country sets which Wi-Fi channels the Pi may use");
  requires("wifi_password", "wifi_ssid", "the name of the network the password is for");
  requires("wifi_country", "wifi_ssid", "the name of the network to join");
  const countryParsed = country === undefined ? null : parseWifiCountry(country.value);
  if (country !== undefined && countryParsed !== null && "problem" in countryParsed) problem(country, countryParsed.problem);
  if (ssid !== undefined) problem(ssid, ssidProblem(ssid.value));
  if (wifiPassword !== undefined) problem(wifiPassword, wifiPasswordProblem(wifiPassword.value));

  const sshKeys: string[] = [];
  for (const at of seen.get("ssh_authorized_key") ?? []) {
    const parsed = parseSshPublicKey(at.value);
    if ("problem" in parsed) problem(at, `the key ${parsed.problem}`);
    else if (!sshKeys.includes(parsed.line)) sshKeys.push(parsed.line);
  }

  if (errors.length > 0) return { errors: errors.sort((a, b) => a.line - b.line) };
  return {
    settings: {
      hostname,
      adminPassword: plain !== undefined ? { kind: "plain", password: plain.value } : hash !== undefined ? { kind: "hash", line: hash.value.trim() } : null,
      coordinator: coordinator === undefined ? null : { url: coordinator.value, authKey: authKey!.value },
      routing: routing as RoutingPrefsChange,
      wifi: ssid === undefined ? null : { country: (countryParsed as { country: string }).country, ssid: ssid.value, password: wifiPassword?.value ?? null },
      sshAuthorizedKeys: sshKeys,
    },
  };
}

/**
 * `text` with the value of every secret setting replaced by REMOVED_VALUE (the rest as written,
 * comments and line endings included, without a byte order mark): what stays on the boot partition once applied.
 */
export function redactFirstBootConfig(text: string): string {
  const pieces = text.replace(/^\uFEFF/, "").split(/(\r\n|\n|\r)/);
  for (let i = 0; i < pieces.length; i += 2) {
    const scanned = scanLine(pieces[i]!, i / 2 + 1);
    if (scanned === null || !("key" in scanned) || !SECRET_KEYS.has(scanned.key) || scanned.value === "") continue;
    const line = pieces[i]!;
    pieces[i] = `${line.slice(0, scanned.valueStart)}${REMOVED_VALUE}${line.slice(scanned.valueEnd)}`;
  }
  return pieces.join("");
}
