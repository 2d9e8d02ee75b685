// UPnP IGD SOAP: the requests' bodies and headers, miniupnpd's answers and faults.

import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeSoapAnswer, encodeAddPortMapping, encodeDeletePortMapping, encodeGetExternalIPAddress } from "../../../src/nat/portmap/upnp-soap.js";
import { xmlElements, xmlText } from "../../../src/nat/portmap/upnp-xml.js";
import { ADD_PORT_MAPPING_ANSWER, CONFLICT_FAULT, DELETE_PORT_MAPPING_ANSWER, GET_EXTERNAL_IP_ANSWER, NOT_AUTHORIZED_FAULT } from "./miniupnpd-answers.js";

const SERVICE = "urn:schemas-upnp-org:service:WANIPConnection:2";
const add = encodeAddPortMapping(SERVICE, { externalPort: 41641, internalPort: 41641, internalClient: "192.168.1.2", description: "meshgate", leaseSeconds: 7200 });

test("AddPortMapping: SOAPAction, the arguments in the template's order, inside the envelope", () => {
  assert.equal(add.soapAction, `"${SERVICE}#AddPortMapping"`);
  assert.ok(add.body.startsWith('<?xml version="1.0"?>\r\n<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'));
  const call = xmlElements(add.body, "AddPortMapping")[0]!;
  assert.equal(
    call,
    "<NewRemoteHost></NewRemoteHost><NewExternalPort>41641</NewExternalPort><NewProtocol>UDP</NewProtocol><NewInternalPort>41641</NewInternalPort>" +
      "<NewInternalClient>192.168.1.2</NewInternalClient><NewEnabled>1</NewEnabled><NewPortMappingDescription>meshgate</NewPortMappingDescription>" +
      "<NewLeaseDuration>7200</NewLeaseDuration>",
  );
  assert.match(add.body, new RegExp(`<u:AddPortMapping xmlns:u="${SERVICE}">`));
});

test("a description with markup stays text", () => {
  const hostile = encodeAddPortMapping(SERVICE, { externalPort: 1, internalPort: 1, internalClient: "192.168.1.2", description: "</NewPortMappingDescription><NewInternalClient>6.6.6.6", leaseSeconds: 0 });
  assert.deepEqual(xmlElements(hostile.body, "NewInternalClient"), ["192.168.1.2"]);
  assert.equal(xmlText(hostile.body, "NewPortMappingDescription"), "</NewPortMappingDescription><NewInternalClient>6.6.6.6");
});

test("DeletePortMapping and GetExternalIPAddress", () => {
  const del = encodeDeletePortMapping(SERVICE, 41641);
  assert.equal(del.soapAction, `"${SERVICE}#DeletePortMapping"`);
  assert.equal(xmlElements(del.body, "DeletePortMapping")[0], "<NewRemoteHost></NewRemoteHost><NewExternalPort>41641</NewExternalPort><NewProtocol>UDP</NewProtocol>");
  const get = encodeGetExternalIPAddress(SERVICE);
  assert.equal(get.soapAction, `"${SERVICE}#GetExternalIPAddress"`);
  assert.deepEqual(xmlElements(get.body, "GetExternalIPAddress"), [""]);
});

test("miniupnpd's answers: out arguments, and empty answers as success", () => {
  const get = encodeGetExternalIPAddress(SERVICE);
  assert.deepEqual(decodeSoapAnswer(get, 200, GET_EXTERNAL_IP_ANSWER, ["NewExternalIPAddress"]), { ok: true, values: new Map([["NewExternalIPAddress", "11.0.0.11"]]) });
  assert.deepEqual(decodeSoapAnswer(add, 200, ADD_PORT_MAPPING_ANSWER), { ok: true, values: new Map() });
  assert.deepEqual(decodeSoapAnswer(encodeDeletePortMapping(SERVICE, 41641), 200, DELETE_PORT_MAPPING_ANSWER), { ok: true, values: new Map() });
});

test("miniupnpd's faults: the UPnP error code and its description", () => {
  assert.deepEqual(decodeSoapAnswer(add, 500, CONFLICT_FAULT), { ok: false, errorCode: 718, problem: "UPnP error 718 (ConflictInMappingEntry)" });
  assert.deepEqual(decodeSoapAnswer(add, 500, NOT_AUTHORIZED_FAULT), { ok: false, errorCode: 606, problem: "UPnP error 606 (Action not authorized)" });
});

test("anything else is a failure without a code, never a throw", () => {
  const failures: [string, number, string][] = [
    ["an answer to another action", 200, GET_EXTERNAL_IP_ANSWER],
    ["a success body with an error status", 500, ADD_PORT_MAPPING_ANSWER],
    ["an HTML error page", 404, "<html><body>Not Found</body></html>"],
    ["a non-numeric error code", 500, "<errorCode>12ab</errorCode>"],
    ["nothing", 200, ""],
  ];
  for (const [what, status, body] of failures) {
    const outcome = decodeSoapAnswer(add, status, body);
    assert.equal(outcome.ok, false, what);
    assert.equal(outcome.ok ? 0 : outcome.errorCode, null, what);
  }
  const long = decodeSoapAnswer(add, 500, `<errorCode>501</errorCode><errorDescription>${"\u0001x".repeat(100)}</errorDescription>`);
  assert.equal(long.ok ? "" : long.problem, `UPnP error 501 (${"?x".repeat(40)}…)`, "a long or unprintable description is quoted short");
});
