// SSDP (UPnP Device Architecture §1.3): the M-SEARCH we send and the answers we accept.

import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeSsdpResponse, encodeSsdpSearch } from "../../../src/nat/portmap/ssdp.js";
import { createSeededRandom } from "../../fakes/seeded-random.js";
import { SSDP_ANSWER } from "./miniupnpd-answers.js";

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

test("M-SEARCH: request line, HOST, MAN, MX, ST, and an empty line", () => {
  assert.equal(
    new TextDecoder().decode(encodeSsdpSearch("urn:schemas-upnp-org:service:WANIPConnection:1")),
    'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 2\r\nST: urn:schemas-upnp-org:service:WANIPConnection:1\r\n\r\n',
  );
});

test("miniupnpd's answer gives the description's location", () => {
  assert.deepEqual(decodeSsdpResponse(SSDP_ANSWER), {
    location: "http://192.168.1.1:33437/rootDesc.xml",
    searchTarget: "urn:schemas-upnp-org:service:WANIPConnection:1",
    server: "Debian/6.18.44-fc-v669 UPnP/1.1 MiniUPnPd/2.3.1",
  });
});

test("header names in any case, LF-only lines, spaces around values", () => {
  const answer = text("HTTP/1.0 200 OK\nLocation:   http://10.0.0.1:1780/igd.xml  \nst:urn:x\n\n");
  assert.deepEqual(decodeSsdpResponse(answer), { location: "http://10.0.0.1:1780/igd.xml", searchTarget: "urn:x", server: null });
});

test("what is not a search answer is null, never thrown", () => {
  const cases: [string, string][] = [
    ["a NOTIFY announcement", "NOTIFY * HTTP/1.1\r\nLOCATION: http://192.168.1.1:5000/rootDesc.xml\r\nNTS: ssdp:alive\r\n\r\n"],
    ["another M-SEARCH", 'M-SEARCH * HTTP/1.1\r\nMAN: "ssdp:discover"\r\n\r\n'],
    ["an error status", "HTTP/1.1 404 Not Found\r\nLOCATION: http://192.168.1.1/\r\n\r\n"],
    ["no LOCATION", "HTTP/1.1 200 OK\r\nST: upnp:rootdevice\r\n\r\n"],
    ["an empty LOCATION", "HTTP/1.1 200 OK\r\nLOCATION:\r\n\r\n"],
    ["LOCATION after the header's end", "HTTP/1.1 200 OK\r\n\r\nLOCATION: http://192.168.1.1/\r\n"],
    ["empty", ""],
  ];
  for (const [what, answer] of cases) assert.equal(decodeSsdpResponse(text(answer)), null, what);
  assert.equal(decodeSsdpResponse(text(`HTTP/1.1 200 OK\r\nLOCATION: http://192.168.1.1/\r\nX: ${"a".repeat(9000)}\r\n\r\n`)), null, "over 8 KiB");
  const random = createSeededRandom(1900);
  for (let i = 0; i < 5_000; i++) decodeSsdpResponse(random.bytes(random.below(300)));
});
