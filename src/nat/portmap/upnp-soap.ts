// UPnP IGD control (WANIPConnection:1/2 and WANPPPConnection:1 service templates): SOAP 1.1
// actions over HTTP POST to the service's control URL (UPnP Device Architecture §3.2).
// Encoders build the body and SOAPAction header; the decoder reads an answer or a fault and
// never throws on what the network sends.
//
// Request:
//   POST <control path> HTTP/1.1
//   Content-Type: text/xml; charset="utf-8"
//   SOAPAction: "<service type>#<action>"
//   <?xml version="1.0"?>
//   <s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"
//               s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">
//     <s:Body><u:<action> xmlns:u="<service type>"> <Arg>value</Arg> … </u:<action>></s:Body>
//   </s:Envelope>
// Answer: 200 with <u:<action>Response> holding the out arguments. Fault: 500 with
//   <s:Fault> … <detail><UPnPError><errorCode>718</errorCode>
//   <errorDescription>ConflictInMappingEntry</errorDescription></UPnPError></detail></s:Fault>

import { escapeXmlText, xmlElements, xmlText } from "./upnp-xml.js";

export interface SoapCall {
  readonly action: string;
  readonly soapAction: string; // the SOAPAction header's value, quotes included
  readonly body: string;
}

// UPnP error codes meshgate reacts to (WANIPConnection:1 §2.4.16, :2 §2.5.16).
export const UpnpError = {
  actionNotAuthorized: 606,
  noSuchEntryInArray: 714, // deleting a mapping the router does not hold
  conflictInMappingEntry: 718, // the external port is mapped to another host
  onlyPermanentLeasesSupported: 725, // IGD 1 routers that want lease duration 0
} as const;

function soapCall(serviceType: string, action: string, args: readonly (readonly [string, string])[]): SoapCall {
  const argumentXml = args.map(([name, value]) => `<${name}>${escapeXmlText(value)}</${name}>`).join("");
  const body =
    '<?xml version="1.0"?>\r\n' +
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">' +
    `<s:Body><u:${action} xmlns:u="${escapeXmlText(serviceType)}">${argumentXml}</u:${action}></s:Body></s:Envelope>\r\n`;
  return { action, soapAction: `"${serviceType}#${action}"`, body };
}

export interface AddPortMappingArguments {
  readonly externalPort: number;
  readonly internalPort: number;
  readonly internalClient: string; // this host's LAN address
  readonly description: string;
  readonly leaseSeconds: number; // 0: permanent (IGD 1), refused by IGD 2
}

// The arguments in the order the service template lists them (some routers insist on it).
// NewRemoteHost empty: any remote host may use the mapping (a wildcard).
export function encodeAddPortMapping(serviceType: string, args: AddPortMappingArguments): SoapCall {
  return soapCall(serviceType, "AddPortMapping", [
    ["NewRemoteHost", ""],
    ["NewExternalPort", String(args.externalPort)],
    ["NewProtocol", "UDP"],
    ["NewInternalPort", String(args.internalPort)],
    ["NewInternalClient", args.internalClient],
    ["NewEnabled", "1"],
    ["NewPortMappingDescription", args.description],
    ["NewLeaseDuration", String(args.leaseSeconds)],
  ]);
}

export function encodeDeletePortMapping(serviceType: string, externalPort: number): SoapCall {
  return soapCall(serviceType, "DeletePortMapping", [
    ["NewRemoteHost", ""],
    ["NewExternalPort", String(externalPort)],
    ["NewProtocol", "UDP"],
  ]);
}

export function encodeGetExternalIPAddress(serviceType: string): SoapCall {
  return soapCall(serviceType, "GetExternalIPAddress", []);
}

export type SoapOutcome =
  | { readonly ok: true; readonly values: ReadonlyMap<string, string> }
  | { readonly ok: false; readonly errorCode: number | null; readonly problem: string };

const QUOTE_CHARS = 80;

// The answer to `call` given the HTTP status and body: the requested out arguments' values
// (decoded text), or the fault's UPnP error code and description.
export function decodeSoapAnswer(call: SoapCall, status: number, body: string, outArguments: readonly string[] = []): SoapOutcome {
  const response = xmlElements(body, `${call.action}Response`, 1)[0];
  if (status === 200 && response !== undefined) {
    const values = new Map<string, string>();
    for (const name of outArguments) {
      const value = xmlText(response, name);
      if (value !== null) values.set(name, value);
    }
    return { ok: true, values };
  }
  const codeText = xmlText(body, "errorCode");
  if (codeText !== null && /^[0-9]{1,4}$/.test(codeText)) {
    const description = xmlText(body, "errorDescription") ?? "";
    return { ok: false, errorCode: Number(codeText), problem: `UPnP error ${codeText}${description === "" ? "" : ` (${quote(description)})`}` };
  }
  return { ok: false, errorCode: null, problem: `HTTP ${status} without a ${call.action} answer or a UPnP fault` };
}

function quote(text: string): string {
  const printable = text.replace(/[^\x20-\x7e]/g, "?");
  return printable.length > QUOTE_CHARS ? `${printable.slice(0, QUOTE_CHARS)}…` : printable;
}
