// The port mapper's UDP transports on loopback: an answer from the gateway's port resolves the
// exchange, retransmission covers a lost request, anything from elsewhere is ignored, silence
// is null; SSDP takes the first answer from the gateway's address.

import assert from "node:assert/strict";
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import { after, test } from "node:test";
import { createGatewayExchange, createSsdpSearch } from "../../src/io/portmap-udp.js";

const sockets: Socket[] = [];
after(() => sockets.forEach((socket) => socket.close()));

// A UDP "gateway" on `address`, calling `onRequest` for each datagram.
async function fakeGateway(address: string, onRequest: (socket: Socket, request: Buffer, from: RemoteInfo) => void): Promise<number> {
  const socket = createSocket("udp4");
  sockets.push(socket);
  socket.on("message", (request, from) => onRequest(socket, request, from));
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  return socket.address().port;
}

const GENEROUS_MS = 10_000; // only silence waits this long, and no test here is silent with it

test("the gateway's answer resolves the exchange", async () => {
  const port = await fakeGateway("127.0.0.1", (socket, request, from) => socket.send(Buffer.concat([Buffer.from([0x80]), request]), from.port, from.address));
  const exchange = createGatewayExchange({ port, timeoutMs: GENEROUS_MS });
  assert.deepEqual(await exchange("127.0.0.1", Uint8Array.of(0, 0)), Uint8Array.of(0x80, 0, 0));
});

test("a lost request is sent again (250 ms, then doubling)", async () => {
  let requests = 0;
  const port = await fakeGateway("127.0.0.1", (socket, _request, from) => {
    if (++requests === 2) socket.send(Uint8Array.of(1), from.port, from.address);
  });
  const exchange = createGatewayExchange({ port, timeoutMs: GENEROUS_MS });
  assert.deepEqual(await exchange("127.0.0.1", Uint8Array.of(0, 0)), Uint8Array.of(1));
  assert.equal(requests, 2);
});

test("answers from another port or address are ignored", async () => {
  const stranger = createSocket("udp4");
  sockets.push(stranger);
  await new Promise<void>((resolve) => stranger.bind(0, "127.0.0.2", resolve));
  const port = await fakeGateway("127.0.0.1", (socket, _request, from) => {
    stranger.send(Uint8Array.of(6, 6, 6), from.port, from.address); // another address
    const sidePort = createSocket("udp4"); // the right address, another port
    sidePort.send(Uint8Array.of(7, 7, 7), from.port, from.address, () => sidePort.close());
    setTimeout(() => socket.send(Uint8Array.of(1), from.port, from.address), 100);
  });
  const exchange = createGatewayExchange({ port, timeoutMs: GENEROUS_MS });
  assert.deepEqual(await exchange("127.0.0.1", Uint8Array.of(0, 0)), Uint8Array.of(1));
});

test("silence is null once the time is up", async () => {
  let requests = 0;
  const port = await fakeGateway("127.0.0.1", () => requests++);
  assert.equal(await createGatewayExchange({ port, timeoutMs: 600 })("127.0.0.1", Uint8Array.of(0, 0)), null);
  assert.ok(requests >= 1, "it was asked");
});

test("SSDP: every search goes out, the first answer from the gateway's address wins", async () => {
  const seen: string[] = [];
  const port = await fakeGateway("127.0.0.1", (socket, request, from) => {
    seen.push(request.toString());
    socket.send(`HTTP/1.1 200 OK\r\nLOCATION: http://127.0.0.1/${seen.length}\r\n\r\n`, from.port, from.address);
  });
  // The "multicast" group is the fake's unicast address here: loopback has no multicast route.
  const search = createSsdpSearch({ port, multicastAddress: "127.0.0.1", timeoutMs: GENEROUS_MS });
  const answer = await search("127.0.0.1", [new TextEncoder().encode("first"), new TextEncoder().encode("second")]);
  assert.match(new TextDecoder().decode(answer!), /^HTTP\/1\.1 200 OK\r\nLOCATION: http:\/\/127\.0\.0\.1\/\d/);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(seen.includes("first") && seen.includes("second"), JSON.stringify(seen));
});

test("SSDP: answers from other addresses are not the gateway's", async () => {
  const port = await fakeGateway("127.0.0.3", (socket, _request, from) => socket.send("HTTP/1.1 200 OK\r\nLOCATION: http://127.0.0.3/\r\n\r\n", from.port, from.address));
  const search = createSsdpSearch({ port, multicastAddress: "127.0.0.3", timeoutMs: 800 });
  assert.equal(await search("127.0.0.1", [new TextEncoder().encode("search")]), null);
});
