// Who does the far side see? A TCP server that answers each connection with the address it
// came from, and a client that prints that answer — what a LAN host sees of a mesh peer
// behind a subnet router (its own address, the router's, or a translated one).
//
//   node peer-address.js serve PORT                  listens on every address (IPv4 and IPv6),
//                                                    prints "listening"; runs until ended
//   node peer-address.js ask HOST PORT TIMEOUT_MS    prints the address the server saw, or
//                                                    exits 1 with why (refused, timed out)

import { createConnection, createServer } from "node:net";

const [mode, ...args] = process.argv.slice(2);

// A dual-stack socket shows IPv4 peers as IPv4-mapped IPv6; the plain form is what a test names.
const plain = (address: string | undefined): string => (address ?? "?").replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, "");

if (mode === "serve") {
  const server = createServer((socket) => {
    socket.on("error", () => undefined); // a reset connection is its asker's loss, not the service's end
    socket.end(`${plain(socket.remoteAddress)}\n`);
  });
  server.listen({ port: Number(args[0]), host: "::", ipv6Only: false }, () => process.stdout.write("listening\n"));
  process.once("SIGTERM", () => server.close(() => process.exit(0)));
} else if (mode === "ask") {
  const [host, port, timeoutMs] = args;
  let answer = "";
  const socket = createConnection({ host: host!, port: Number(port) });
  socket.setTimeout(Number(timeoutMs), () => socket.destroy(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)));
  socket.on("data", (chunk: Buffer) => (answer += chunk.toString()));
  socket.on("end", () => process.stdout.write(answer));
  socket.on("error", (error) => {
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
  });
} else {
  process.stderr.write("usage: peer-address.js serve PORT | ask HOST PORT TIMEOUT_MS\n");
  process.exitCode = 2;
}
