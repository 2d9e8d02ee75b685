// UPnP's HTTP transport on loopback: one request, its answer; bounded size and time; no
// redirect followed; nothing sent off the allowed addresses, and by default only to a link of
// this host (never loopback, never a name).

import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, test } from "node:test";
import { createUpnpHttp } from "../../src/io/portmap-http.js";

const servers: Server[] = [];
after(() => servers.forEach((server) => server.closeAllConnections() ?? server.close()));

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

async function serve(handle: (response: ServerResponse, seen: Seen) => void): Promise<{ base: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      const entry = { method: request.method!, url: request.url!, headers: request.headers, body };
      seen.push(entry);
      handle(response, entry);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const loopbackAllowed = createUpnpHttp({ allowAddress: (address) => address === "127.0.0.1", timeoutMs: 10_000 });

test("GET and POST: headers, body and answer as sent", async () => {
  const { base, seen } = await serve((response, request) => response.writeHead(200, { "Content-Type": "text/xml" }).end(`<ok>${request.body.length}</ok>`));
  assert.deepEqual(await loopbackAllowed({ method: "GET", url: `${base}/rootDesc.xml?x=1`, headers: {} }), { status: 200, body: "<ok>0</ok>" });
  const body = "<s:Envelope>é</s:Envelope>";
  assert.deepEqual(await loopbackAllowed({ method: "POST", url: `${base}/ctl/IPConn`, headers: { SOAPAction: '"urn:x#AddPortMapping"' }, body }), { status: 200, body: `<ok>${body.length}</ok>` });
  assert.equal(seen[0]!.url, "/rootDesc.xml?x=1");
  assert.equal(seen[1]!.headers.soapaction, '"urn:x#AddPortMapping"');
  assert.equal(seen[1]!.headers["content-length"], String(Buffer.byteLength(body)), "bytes, not characters");
  assert.equal(seen[1]!.headers.host, base.slice("http://".length));
});

test("a fault's status and body come back as they are", async () => {
  const { base } = await serve((response) => response.writeHead(500).end("<errorCode>718</errorCode>"));
  assert.deepEqual(await loopbackAllowed({ method: "POST", url: `${base}/ctl`, headers: {}, body: "" }), { status: 500, body: "<errorCode>718</errorCode>" });
});

test("a redirect is not followed", async () => {
  const { base, seen } = await serve((response, request) => (request.url === "/moved" ? response.writeHead(302, { Location: "http://203.0.113.1/" }).end() : response.end("elsewhere")));
  assert.deepEqual(await loopbackAllowed({ method: "GET", url: `${base}/moved`, headers: {} }), { status: 302, body: "" });
  assert.equal(seen.length, 1);
});

test("an answer over the size bound is null", async () => {
  const { base } = await serve((response) => response.end("x".repeat(5000)));
  const small = createUpnpHttp({ allowAddress: () => true, maxResponseBytes: 4096, timeoutMs: 10_000 });
  assert.equal(await small({ method: "GET", url: `${base}/big`, headers: {} }), null);
});

test("a server that never answers is null once the time is up", async () => {
  const { base } = await serve(() => undefined);
  const quick = createUpnpHttp({ allowAddress: () => true, timeoutMs: 500 });
  assert.equal(await quick({ method: "GET", url: `${base}/slow`, headers: {} }), null);
});

test("nothing is sent where it may not go", async () => {
  const { base, seen } = await serve((response) => response.end("reached"));
  const port = base.split(":").at(-1);
  const refused = [
    `https://127.0.0.1:${port}/`,
    `http://localhost:${port}/`, // a name: no DNS from here
    `http://127.0.0.2:${port}/`, // not an allowed address
    "not a url",
  ];
  for (const url of refused) assert.equal(await loopbackAllowed({ method: "GET", url, headers: {} }), null, url);
  // By default only addresses on one of this host's links: loopback is not a LAN.
  assert.equal(await createUpnpHttp()({ method: "GET", url: `${base}/`, headers: {} }), null);
  assert.equal(seen.length, 0);
});

test("a refused connection is null", async () => {
  const { base } = await serve((response) => response.end());
  const server = servers.pop()!;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.equal(await loopbackAllowed({ method: "GET", url: `${base}/`, headers: {} }), null);
});
