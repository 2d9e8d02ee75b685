// meshgate.conf: every setting, every problem named by line and field (all of them at once),
// the file as Windows editors write it, and the copy without secrets that stays on the card.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { formatConfigProblem, parseFirstBootConfig, redactFirstBootConfig, type ConfigProblem, type FirstBootSettings } from "../../src/appliance/first-boot-config.js";
import { parseSshPublicKey } from "../../src/appliance/ssh-public-key.js";
import { wpaPsk, wpaSupplicantConfig } from "../../src/appliance/wifi.js";
import { ECDSA, ED25519, HASH, RSA } from "./ssh-key-lines.js";


function settingsOf(text: string): FirstBootSettings {
  const parsed = parseFirstBootConfig(text);
  assert.ok("settings" in parsed, `parsed: ${JSON.stringify(parsed)}`);
  return parsed.settings;
}

function errorsOf(text: string): string[] {
  const parsed = parseFirstBootConfig(text);
  assert.ok("errors" in parsed, "refused");
  return parsed.errors.map(formatConfigProblem);
}

test("a complete file: every setting, comments, blank lines, quotes and case", () => {
  const settings = settingsOf(
    [
      "# my Pi",
      "",
      "Hostname = Garden-Pi   # comment after a value",
      'admin_password = "  spaces # and a hash  "',
      "coordinator = https://mesh.example.org:8443",
      "auth_key = mk_0123456789abcdef",
      "advertise_routes = 192.168.1.0/24, 10.1.0.0/24=10.77.1.0/24",
      "advertise_exit_node = Yes",
      "wifi_country = gb",
      'wifi_ssid = "My \\"home\\" Wi-Fi"',
      "wifi_password = pass#word with spaces",
      `ssh_authorized_key = ${ED25519}`,
      `ssh_authorized_key = "${ECDSA}"`,
      `ssh_authorized_key = ${ED25519}`,
    ].join("\n"),
  );
  assert.deepEqual(settings, {
    hostname: "garden-pi",
    adminPassword: { kind: "plain", password: "  spaces # and a hash  " },
    coordinator: { url: "https://mesh.example.org:8443", authKey: "mk_0123456789abcdef" },
    routing: { advertiseRoutes: ["192.168.1.0/24", "10.1.0.0/24=10.77.1.0/24"], advertiseExitNode: true },
    wifi: { country: "GB", ssid: 'My "home" Wi-Fi', password: "pass#word with spaces" },
    sshAuthorizedKeys: [ED25519, ECDSA],
  });
});

test("an empty file, or one of comments, sets nothing; this Pi is then its own coordinator", () => {
  for (const text of ["", "\n\n", "# nothing\n  # indented comment\n"]) {
    assert.deepEqual(settingsOf(text), { hostname: null, adminPassword: null, coordinator: null, routing: {}, wifi: null, sshAuthorizedKeys: [] });
  }
});

test("CRLF line endings and a UTF-8 byte order mark (Windows editors) are accepted; lines count the same", () => {
  const settings = settingsOf(`\uFEFFhostname = pi\r\n# c\r\nadmin_password_hash = ${HASH}\r\nadvertise_exit_node = 0\r\n`);
  assert.equal(settings.hostname, "pi");
  assert.deepEqual(settings.adminPassword, { kind: "hash", line: HASH });
  assert.deepEqual(settings.routing, { advertiseExitNode: false });
  assert.deepEqual(errorsOf("\uFEFFhostname = pi\r\n\r\nhostnme = x\r\n"), ['meshgate.conf line 3: unknown setting "hostnme" (did you mean "hostname"?)']);
});

test("each problem names its line and field, and all of them are reported at once", () => {
  const cases: [string, string][] = [
    ["#\nhostnme = pi", 'meshgate.conf line 2: unknown setting "hostnme" (did you mean "hostname"?)'],
    ["colour = blue", 'meshgate.conf line 1: unknown setting "colour" (known settings: hostname, admin_password, admin_password_hash, coordinator, auth_key, advertise_routes, advertise_exit_node, wifi_country, wifi_ssid, wifi_password, ssh_authorized_key)'],
    ["hostname pi", 'meshgate.conf line 1: no "=": write a setting as name = value (or start the line with # to make it a comment)'],
    ["= pi", 'meshgate.conf line 1: no setting name before "="'],
    ["hostname =", "meshgate.conf line 1 (hostname): no value: give one, or remove the line (or put # before it)"],
    ['hostname = "pi', 'meshgate.conf line 1 (hostname): the quote is not closed: end the value with "'],
    ['hostname = "pi" x', "meshgate.conf line 1 (hostname): text after the closing quote: put the whole value inside the quotes"],
    ["#\n\nhostname = my_pi", 'meshgate.conf line 3 (hostname): "my_pi" is not a valid hostname: use letters, digits and "-"'],
    ["hostname = -pi", 'meshgate.conf line 1 (hostname): "-pi" is not a valid hostname: it must not start or end with "-"'],
    [`hostname = ${"a".repeat(64)}`, `meshgate.conf line 1 (hostname): "${"a".repeat(64)}" is too long for a hostname: use at most 63 characters`],
    ["hostname = a\nhostname = b", "meshgate.conf line 2 (hostname): hostname is already set on line 1: keep one of the two"],
    ["admin_password = short", "meshgate.conf line 1 (admin_password): the admin password is too weak: use at least 10 characters"],
    [`admin_password_hash = ${HASH}\nadmin_password = long enough pw`, "meshgate.conf line 2 (admin_password): set admin_password or admin_password_hash, not both (admin_password_hash is on line 1)"],
    ["admin_password_hash = $scrypt$ln=15$x", "meshgate.conf line 1 (admin_password_hash): is not a hash meshgate writes: it looks like $scrypt$ln=15,r=8,p=1$SALT$HASH (meshgate appliance hash-password prints one)"],
    ["\nauth_key = k1", "meshgate.conf line 2 (auth_key): auth_key needs coordinator (the URL of the coordinator the key is from)"],
    ["coordinator = http://c:8080", "meshgate.conf line 1 (coordinator): coordinator needs auth_key (a pre-auth key from that coordinator: meshgate keys create)"],
    ["coordinator = ftp://c\nauth_key = k", 'meshgate.conf line 1 (coordinator): "ftp://c" is not an http:// or https:// URL'],
    ["coordinator = mesh.example.org\nauth_key = k", 'meshgate.conf line 1 (coordinator): "mesh.example.org" is not a URL: write the coordinator\'s address as http://HOST:PORT or https://HOST'],
    ['coordinator = http://c/$x\nauth_key = k', 'meshgate.conf line 1 (coordinator): "http://c/$x" has characters a URL does not need (spaces, quotes, \\, $ or `)'],
    ['coordinator = http://c\nauth_key = "two words"', "meshgate.conf line 2 (auth_key): an auth key is one word of printable characters: paste it as meshgate keys create printed it"],
    ["advertise_routes = 192.168.1.0/33", 'meshgate.conf line 1 (advertise_routes): "192.168.1.0/33" is not a CIDR prefix (e.g. 192.168.1.0/24 or fd12:3456::/64)'],
    ["advertise_exit_node = maybe", 'meshgate.conf line 1 (advertise_exit_node): "maybe" is not true or false (also: yes/no, 1/0)'],
    ["wifi_ssid = home", "meshgate.conf line 1 (wifi_ssid): wifi_ssid needs wifi_country (the country sets which Wi-Fi channels the Pi may use)"],
    ["wifi_password = secret123", "meshgate.conf line 1 (wifi_password): wifi_password needs wifi_ssid (the name of the network the password is for)"],
    ["wifi_country = GB", "meshgate.conf line 1 (wifi_country): wifi_country needs wifi_ssid (the name of the network to join)"],
    ["wifi_country = XX\nwifi_ssid = a", 'meshgate.conf line 1 (wifi_country): "XX" is not an ISO 3166 country code (GB, DE, US, …)'],
    ["wifi_country = GBR\nwifi_ssid = a", 'meshgate.conf line 1 (wifi_country): "GBR" is not a country code: use the two letters of ISO 3166 (GB, DE, US, …)'],
    [`wifi_country = DE\nwifi_ssid = ${"ä".repeat(17)}`, "meshgate.conf line 2 (wifi_ssid): a network name has at most 32 bytes (this one has 34)"],
    ["wifi_country = DE\nwifi_ssid = a\nwifi_password = short", "meshgate.conf line 3 (wifi_password): a WPA passphrase has 8 to 63 characters (this one has 5), or is 64 hex digits"],
    ["wifi_country = DE\nwifi_ssid = a\nwifi_password = pässwörter", "meshgate.conf line 3 (wifi_password): use printable ASCII characters only (letters, digits, punctuation, space)"],
    ["ssh_authorized_key = ssh-dss AAAA", "meshgate.conf line 1 (ssh_authorized_key): the key does not start with a key type (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, ecdsa-sha2-nistp521, sk-ssh-ed25519@openssh.com, sk-ecdsa-sha2-nistp256@openssh.com): paste the line of your .pub file"],
  ];
  for (const [text, expected] of cases) assert.deepEqual(errorsOf(text), [expected], text);

  const all = parseFirstBootConfig("hostname = my_pi\nwifi = on\nauth_key = k\nhostname = b\n") as { errors: ConfigProblem[] };
  assert.deepEqual(all.errors.map((error) => [error.line, error.field]), [[1, "hostname"], [2, undefined], [3, "auth_key"], [4, "hostname"]]);
});

test("an SSH key line: its type, its base64 and the type inside its data must agree", () => {
  assert.deepEqual(parseSshPublicKey(`  ${RSA.replace(" bob", "   bob  on  laptop")}  `), { line: `${RSA} on laptop` });
  assert.deepEqual(parseSshPublicKey(ECDSA), { line: ECDSA });
  const problem = (text: string): string => (parseSshPublicKey(text) as { problem: string }).problem;
  assert.match(problem("ssh-ed25519"), /^has no key after "ssh-ed25519"/);
  assert.match(problem(ED25519.replace("AAAAC3", "AAAAC3!")), /not valid base64/);
  assert.match(problem(ED25519.slice(0, 40)), /^the ssh-ed25519 key is incomplete or has extra data/, "cut in the middle");
  assert.match(problem(ED25519.slice(0, 70)), /not valid base64/, "cut off its padding");
  assert.match(problem(`ssh-rsa ${ED25519.split(" ")[1]}`), /^the key's data is not a ssh-rsa key \(it says "ssh-ed25519"\)/);
  assert.match(problem("-----BEGIN OPENSSH PRIVATE KEY-----"), /PEM file/);
  assert.match(problem(`${ED25519}\u0007`), /control characters/);
});

test("the Wi-Fi PSK is what wpa_passphrase prints (IEEE 802.11i-2004 H.4 vector); 64 hex digits are the PSK itself", () => {
  assert.equal(wpaPsk("IEEE", "password"), "f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e");
  assert.equal(wpaPsk("ThisIsASSID", "ThisIsAPassword"), "0dc0d6eb90555ed6419756b9a15ec3e3209b63df707dd508d14581f8982721af");
  assert.equal(wpaPsk("x", "AB".repeat(32)), "ab".repeat(32));
  const file = wpaSupplicantConfig({ country: "GB", ssid: "IEEE", password: "password" });
  assert.match(file, /^country=GB$/m);
  assert.match(file, /^ctrl_interface=/m);
  assert.match(file, /^\tssid=49454545$/m);
  assert.match(file, /^\tpsk=f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e$/m);
  assert.doesNotMatch(file, /password/);
  assert.match(wpaSupplicantConfig({ country: "GB", ssid: "cafe", password: null }), /^\tkey_mgmt=NONE$/m);
});

test("the copy that stays on the card has no secret values, and everything else as written", () => {
  const text = `\uFEFFhostname = pi\r\nadmin_password = "a very long password" # mine\r\nauth_key=mk_secret\r\ncoordinator = http://c\r\nwifi_password =   hunter2hunter2\r\n# admin_password = kept comment\r\nadmin_password_hash=`;
  assert.equal(
    redactFirstBootConfig(text),
    "hostname = pi\r\nadmin_password = (removed after first boot) # mine\r\nauth_key=(removed after first boot)\r\ncoordinator = http://c\r\nwifi_password =   (removed after first boot)\r\n# admin_password = kept comment\r\nadmin_password_hash=",
  );
});

test("image/meshgate.conf.example sets nothing as shipped, and each setting it shows is one meshgate knows", () => {
  const example = readFileSync(new URL("../../../image/meshgate.conf.example", import.meta.url), "utf8");
  assert.deepEqual(settingsOf(example), { hostname: null, adminPassword: null, coordinator: null, routing: {}, wifi: null, sshAuthorizedKeys: [] });
  const shown = example.split("\n").filter((line) => /^#[a-z_]+ = /.test(line));
  assert.ok(shown.length >= 12, `found the settings (${shown.length})`);
  for (const line of shown) {
    const parsed = parseFirstBootConfig(line.slice(1));
    const errors = "errors" in parsed ? parsed.errors.map((error) => error.message) : [];
    assert.ok(!errors.some((message) => message.startsWith("unknown setting")), line);
  }
});
