// The little XML UPnP needs: the text of a few named elements in a device description and in
// SOAP answers, and escaping for the arguments we send. Not a general XML parser, and not meant
// to be: UPnP's documents are machine-written, and all we read are leaf elements (serviceType,
// controlURL, URLBase, NewExternalIPAddress, errorCode) and the <service> blocks around them.
// A dependency would parse far more than we need from a device we do not trust.
//
// Scanning is linear in the input (indexOf only, no backtracking regular expressions), and
// callers bound the input's size. Namespace prefixes are ignored (`<u:Foo>` is `Foo`);
// comments and CDATA sections are skipped or unwrapped; nothing here throws.

// Every element named `name` (local name, any prefix), as its raw inner markup, in document
// order, at most `limit`. An element nested inside another of the same name is not handled
// (UPnP's elements that matter never nest in themselves).
export function xmlElements(xml: string, name: string, limit = 64): string[] {
  const found: string[] = [];
  let position = 0;
  while (found.length < limit) {
    const open = findOpenTag(xml, name, position);
    if (open === null) break;
    if (open.selfClosing) {
      found.push("");
      position = open.end;
      continue;
    }
    const close = findCloseTag(xml, name, open.end);
    if (close === null) break; // no close now means none later either: stop, stay linear
    found.push(xml.slice(open.end, close.start));
    position = close.end;
  }
  return found;
}

// The decoded text of the first element named `name`, trimmed, or null when there is none.
export function xmlText(xml: string, name: string): string | null {
  const inner = xmlElements(xml, name, 1)[0];
  return inner === undefined ? null : decodeXmlText(inner).trim();
}

interface Tag {
  readonly start: number;
  readonly end: number; // just past the '>'
  readonly selfClosing: boolean;
}

function localName(xml: string, from: number): { name: string; after: number } {
  let end = from;
  while (end < xml.length && !" \t\r\n/>".includes(xml[end]!)) end++;
  const qualified = xml.slice(from, end);
  return { name: qualified.slice(qualified.lastIndexOf(":") + 1), after: end };
}

// Skips `<!-- … -->`, `<![CDATA[ … ]]>` and `<? … ?>`, returning where scanning goes on.
function skipSpecial(xml: string, at: number): number | null {
  if (xml.startsWith("<!--", at)) return endOf(xml, "-->", at);
  if (xml.startsWith("<![CDATA[", at)) return endOf(xml, "]]>", at);
  if (xml.startsWith("<?", at) || xml.startsWith("<!", at)) return endOf(xml, ">", at);
  return null;
}

function endOf(xml: string, marker: string, from: number): number {
  const at = xml.indexOf(marker, from);
  return at === -1 ? xml.length : at + marker.length;
}

function findOpenTag(xml: string, name: string, from: number): Tag | null {
  let at = xml.indexOf("<", from);
  while (at !== -1) {
    const skipped = skipSpecial(xml, at);
    if (skipped !== null) {
      at = xml.indexOf("<", skipped);
      continue;
    }
    if (xml[at + 1] !== "/") {
      const tag = localName(xml, at + 1);
      if (tag.name === name) {
        const close = xml.indexOf(">", tag.after);
        if (close === -1) return null;
        return { start: at, end: close + 1, selfClosing: xml[close - 1] === "/" };
      }
    }
    at = xml.indexOf("<", at + 1);
  }
  return null;
}

function findCloseTag(xml: string, name: string, from: number): Tag | null {
  let at = xml.indexOf("</", from);
  while (at !== -1) {
    const tag = localName(xml, at + 2);
    const close = xml.indexOf(">", tag.after);
    if (close === -1) return null;
    if (tag.name === name) return { start: at, end: close + 1, selfClosing: false };
    at = xml.indexOf("</", close);
  }
  return null;
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

// Text content: CDATA unwrapped, the five named entities and numeric references decoded (an
// unknown or out-of-range reference is kept as written).
export function decodeXmlText(text: string): string {
  return decodeReferences(unwrapCdata(text));
}

// CDATA content is literal: its '&' are escaped so the reference decoding leaves them alone.
function unwrapCdata(text: string): string {
  let out = "";
  let position = 0;
  for (let open = text.indexOf("<![CDATA[", position); open !== -1; open = text.indexOf("<![CDATA[", position)) {
    const close = text.indexOf("]]>", open);
    if (close === -1) break;
    out += text.slice(position, open) + text.slice(open + 9, close).replace(/&/g, "&amp;");
    position = close + 3;
  }
  return out + text.slice(position);
}

function decodeReferences(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-z]{2,4});/g, (whole, entity: string) => {
    if (entity.startsWith("#")) {
      const code = entity[1] === "x" ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[entity] ?? whole;
  });
}

export function escapeXmlText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}
