// Wi-Fi for wpa_supplicant (the `wpa_supplicant@wlan0` service of Debian): the regulatory
// country, the network's SSID and its WPA passphrase, checked as IEEE 802.11 and wpa_supplicant
// define them, and the file that service reads. The passphrase is never written: the file holds
// the PSK, PBKDF2-HMAC-SHA1(passphrase, SSID, 4096 iterations, 32 bytes) (IEEE 802.11i-2004
// annex H.4, what `wpa_passphrase` prints), which joins this network and no other.

import { pbkdf2Sync } from "node:crypto";

// ISO 3166-1 alpha-2: the codes the kernel's regulatory database may know.
const COUNTRIES = new Set(
  ("AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
    "CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
    "GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP " +
    "KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT " +
    "MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW " +
    "SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG " +
    "UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW").split(" "),
);

const MAX_SSID_BYTES = 32; // IEEE 802.11 SSID element
const PSK_ITERATIONS = 4096;
const PSK_BYTES = 32;

export interface WifiSettings {
  readonly country: string; // ISO 3166-1 alpha-2, uppercase
  readonly ssid: string;
  readonly password: string | null; // null: an open network
}

/** The country code uppercased, or why it is not one. */
export function parseWifiCountry(text: string): { readonly country: string } | { readonly problem: string } {
  const country = text.toUpperCase();
  if (!/^[A-Z]{2}$/.test(country)) return { problem: `"${text}" is not a country code: use the two letters of ISO 3166 (GB, DE, US, …)` };
  if (!COUNTRIES.has(country)) return { problem: `"${text}" is not an ISO 3166 country code (GB, DE, US, …)` };
  return { country };
}

export function ssidProblem(ssid: string): string | null {
  const bytes = Buffer.byteLength(ssid, "utf8");
  if (bytes === 0) return "the network name is empty";
  if (bytes > MAX_SSID_BYTES) return `a network name has at most ${MAX_SSID_BYTES} bytes (this one has ${bytes})`;
  if (/[\u0000-\u001f\u007f]/.test(ssid)) return "the network name contains control characters";
  return null;
}

// A passphrase is 8–63 printable ASCII characters; 64 hex digits are the PSK itself (wpa_supplicant.conf psk=).
export function wifiPasswordProblem(password: string): string | null {
  if (/^[0-9a-fA-F]{64}$/.test(password)) return null;
  if (!/^[\x20-\x7e]*$/.test(password)) return "use printable ASCII characters only (letters, digits, punctuation, space)";
  if (password.length < 8 || password.length > 63) return `a WPA passphrase has 8 to 63 characters (this one has ${password.length}), or is 64 hex digits`;
  return null;
}

/** The 64 hex digits wpa_supplicant takes as psk= for `password` on `ssid`. */
export function wpaPsk(ssid: string, password: string): string {
  if (/^[0-9a-fA-F]{64}$/.test(password)) return password.toLowerCase();
  return pbkdf2Sync(Buffer.from(password, "utf8"), Buffer.from(ssid, "utf8"), PSK_ITERATIONS, PSK_BYTES, "sha1").toString("hex");
}

/**
 * wpa_supplicant-wlan0.conf for `wifi`. The SSID is written as hex (wpa_supplicant's unquoted
 * form), so no character of a network name needs escaping.
 */
export function wpaSupplicantConfig(wifi: WifiSettings): string {
  const network = wifi.password === null ? ["\tkey_mgmt=NONE"] : ["\tkey_mgmt=WPA-PSK", `\tpsk=${wpaPsk(wifi.ssid, wifi.password)}`];
  return [
    "# Written by meshgate from meshgate.conf on the boot partition (first boot).",
    "ctrl_interface=DIR=/run/wpa_supplicant GROUP=netdev",
    "update_config=1",
    `country=${wifi.country}`,
    "",
    "network={",
    `\t# ${JSON.stringify(wifi.ssid)}`,
    `\tssid=${Buffer.from(wifi.ssid, "utf8").toString("hex")}`,
    "\tscan_ssid=1",
    ...network,
    "}",
    "",
  ].join("\n");
}
