// From a device description to the control URL — and no URL off the gateway.

import assert from "node:assert/strict";
import { test } from "node:test";
import { readDescription, urlOnGateway } from "../../../src/nat/portmap/upnp-description.js";
import { ROOT_DESCRIPTION } from "./miniupnpd-answers.js";

const GATEWAY = "192.168.1.1";
const LOCATION = "http://192.168.1.1:33437/rootDesc.xml";

const description = (services: string, urlBase = ""): string =>
  `<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0">${urlBase}<device><deviceList><device><serviceList>${services}</serviceList></device></deviceList></device></root>`;
const service = (type: string, control: string): string =>
  `<service><serviceType>urn:schemas-upnp-org:service:${type}</serviceType><serviceId>x</serviceId><controlURL>${control}</controlURL></service>`;

test("miniupnpd's IGD 2: WANIPConnection:2, three devices deep", () => {
  assert.deepEqual(readDescription(ROOT_DESCRIPTION, LOCATION, GATEWAY), {
    ok: true,
    control: { serviceType: "urn:schemas-upnp-org:service:WANIPConnection:2", controlUrl: "http://192.168.1.1:33437/ctl/IPConn" },
  });
});

test("the best service wins: WANIPConnection:2, then :1, then WANPPPConnection:1", () => {
  const pick = (xml: string): string | null => {
    const reading = readDescription(xml, LOCATION, GATEWAY);
    return reading.ok ? reading.control.serviceType.split(":").slice(-2).join(":") : null;
  };
  assert.equal(pick(description(service("WANPPPConnection:1", "/ppp") + service("WANIPConnection:1", "/ip1"))), "WANIPConnection:1");
  assert.equal(pick(description(service("WANIPConnection:1", "/ip1") + service("WANIPConnection:2", "/ip2"))), "WANIPConnection:2");
  assert.equal(pick(description(service("Layer3Forwarding:1", "/l3f") + service("WANPPPConnection:1", "/ppp"))), "WANPPPConnection:1");
  assert.equal(pick(description(service("WANIPConnection:1", "") + service("WANPPPConnection:1", "/ppp"))), "WANPPPConnection:1", "an empty control URL does not count");
});

test("control URLs resolve against URLBase, else the location", () => {
  const control = (xml: string): string | null => {
    const reading = readDescription(xml, LOCATION, GATEWAY);
    return reading.ok ? reading.control.controlUrl : null;
  };
  assert.equal(control(description(service("WANIPConnection:1", "/upnp/control/WANIPConn1"), "<URLBase>http://192.168.1.1:49152</URLBase>")), "http://192.168.1.1:49152/upnp/control/WANIPConn1");
  assert.equal(control(description(service("WANIPConnection:1", "ctl?x=1&amp;y=2"))), "http://192.168.1.1:33437/ctl?x=1&y=2");
  assert.equal(control(description(service("WANIPConnection:1", "http://192.168.1.1:5000/abs"))), "http://192.168.1.1:5000/abs");
});

test("a control URL off the gateway is refused, with the reason", () => {
  const offGateway: [string, string][] = [
    ["another host", description(service("WANIPConnection:1", "http://192.168.1.77:5000/ctl"))],
    ["a public host", description(service("WANIPConnection:1", "http://203.0.113.9/ctl"))],
    ["https", description(service("WANIPConnection:1", "https://192.168.1.1/ctl"))],
    ["a URLBase elsewhere", description(service("WANIPConnection:1", "/ctl"), "<URLBase>http://10.9.9.9:80/</URLBase>")],
    ["credentials", description(service("WANIPConnection:1", "http://user:pw@192.168.1.1/ctl"))],
    ["a name, not the address", description(service("WANIPConnection:1", "http://router.lan/ctl"))],
  ];
  for (const [what, xml] of offGateway) {
    const reading = readDescription(xml, LOCATION, GATEWAY);
    assert.equal(reading.ok, false, what);
    assert.match(reading.ok ? "" : reading.problem, /is not on the gateway 192\.168\.1\.1/, what);
  }
});

test("descriptions without a WAN connection service say so", () => {
  assert.deepEqual(readDescription(description(service("Layer3Forwarding:1", "/l3f")), LOCATION, GATEWAY), {
    ok: false,
    problem: "the device description has no WANIPConnection or WANPPPConnection service",
  });
  assert.deepEqual(readDescription("<html>not a description</html>", LOCATION, GATEWAY), { ok: false, problem: "the device description lists no services" });
});

test("urlOnGateway: http to the gateway's address, nothing else, never a throw", () => {
  assert.equal(urlOnGateway("http://192.168.1.1:5000/rootDesc.xml", undefined, GATEWAY), "http://192.168.1.1:5000/rootDesc.xml");
  assert.equal(urlOnGateway("http://3232235777/x", undefined, GATEWAY), "http://192.168.1.1/x", "the same address written as one number");
  for (const text of ["http://192.168.1.2/", "ftp://192.168.1.1/", "not a url", "", "http://[::1]/", "http://192.168.1.1.evil.example/"]) {
    assert.equal(urlOnGateway(text, undefined, GATEWAY), null, text);
  }
});
