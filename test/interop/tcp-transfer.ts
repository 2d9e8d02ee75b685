// A TCP transfer with checksums, run inside a namespace by the interop tests:
//   node tcp-transfer.js server <bind-address> <port>      → prints "<sha256> <bytes>" and exits
//   node tcp-transfer.js client <address> <port> <bytes>   → sends random bytes, prints the same
// Both ends hash what they saw; the test compares.

import { createHash, randomBytes } from "node:crypto";
import { createConnection, createServer } from "node:net";

const [mode, address, portText, bytesText] = process.argv.slice(2);
const port = Number(portText);

if (mode === "server") {
  const server = createServer((socket) => {
    const hash = createHash("sha256");
    let bytes = 0;
    socket.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    socket.on("end", () => {
      process.stdout.write(`${hash.digest("hex")} ${bytes}\n`);
      socket.end();
      server.close();
    });
  });
  server.listen(port, address, () => process.stdout.write("listening\n"));
} else if (mode === "client") {
  const total = Number(bytesText);
  const hash = createHash("sha256");
  const socket = createConnection({ host: address!, port }, () => {
    let sent = 0;
    const pump = (): void => {
      while (sent < total) {
        const chunk = randomBytes(Math.min(1 << 16, total - sent));
        hash.update(chunk);
        sent += chunk.length;
        if (!socket.write(chunk)) return void socket.once("drain", pump);
      }
      socket.end();
    };
    pump();
  });
  socket.on("close", () => process.stdout.write(`${hash.digest("hex")} ${total}\n`));
  socket.on("error", (error) => {
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
  });
} else {
  process.stderr.write("usage: tcp-transfer.js server <bind> <port> | client <address> <port> <bytes>\n");
  process.exitCode = 2;
}
