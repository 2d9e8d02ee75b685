// The small XML reader UPnP needs: named elements with any prefix, self-closing, comments and
// CDATA skipped, text decoded; and escaping for what we send.

import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeXmlText, escapeXmlText, xmlElements, xmlText } from "../../../src/nat/portmap/upnp-xml.js";

test("elements by local name, any namespace prefix, in document order", () => {
  const xml = '<s:Body><u:X xmlns:u="urn:a"><A>1</A><m:A>2</m:A><AB>no</AB><A attr="x">3</A></u:X></s:Body>';
  assert.deepEqual(xmlElements(xml, "A"), ["1", "2", "3"]);
  assert.deepEqual(xmlElements(xml, "X"), ["<A>1</A><m:A>2</m:A><AB>no</AB><A attr=\"x\">3</A>"]);
  assert.equal(xmlText(xml, "AB"), "no");
  assert.equal(xmlText(xml, "Missing"), null);
  assert.deepEqual(xmlElements(xml, "A", 2), ["1", "2"], "at most `limit`");
});

test("self-closing elements are empty; comments and declarations do not count", () => {
  assert.deepEqual(xmlElements('<r><u:AddPortMappingResponse xmlns:u="urn:x"/></r>', "AddPortMappingResponse"), [""]);
  assert.deepEqual(xmlElements("<?xml version=\"1.0\"?><!-- <A>hidden</A> --><!DOCTYPE r><r><A>seen</A></r>", "A"), ["seen"]);
});

test("unclosed elements end the scan instead of throwing", () => {
  assert.deepEqual(xmlElements("<A>1</A><A>never closed", "A"), ["1"]);
  assert.deepEqual(xmlElements("<A", "A"), []);
  assert.deepEqual(xmlElements("</A><A>x</A", "A"), []);
  assert.deepEqual(xmlElements("", "A"), []);
  // A large hostile body: one pass (each unclosed tag would otherwise rescan the rest).
  assert.deepEqual(xmlElements("<service>".repeat(20_000), "service"), []);
});

test("text: entities, character references and CDATA decoded; the rest kept as written", () => {
  assert.equal(decodeXmlText("a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;"), "a <b> & \"c\" 'd'");
  assert.equal(decodeXmlText("&#65;&#x42;&#x1F600;"), "AB😀");
  assert.equal(decodeXmlText("&nbsp; &#0; &#x110000; & alone"), "&nbsp; &#0; &#x110000; & alone");
  assert.equal(decodeXmlText("x<![CDATA[<raw> &amp;]]>y"), "x<raw> &amp;y");
  assert.equal(decodeXmlText("<![CDATA[never closed"), "<![CDATA[never closed");
  assert.equal(xmlText("<A>\r\n  11.0.0.11\r\n</A>", "A"), "11.0.0.11", "trimmed");
});

test("escaping: what we send cannot break out of its element", () => {
  assert.equal(escapeXmlText(`a<b>&"c"'`), "a&lt;b&gt;&amp;&quot;c&quot;&apos;");
  assert.equal(decodeXmlText(escapeXmlText("</NewPortMappingDescription><x>")), "</NewPortMappingDescription><x>");
});
