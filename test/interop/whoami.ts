// Who answers, and whom does it see: a tiny TCP service for routing tests.
//   node whoami.js server <bind> <port> <name>   answers each connection "<name> <peer address>"
//   node whoami.js client <address> <port>       prints the answer (exit 1 after 3 s without one)

import { createConnection, createServer } from "node:net";

const [mode, address, portText, name] = process.argv.slice(2);
const port = Number(portText);

if (mode === "server") {
  createServer((socket) => {
    // A connection reset under it (a route cut mid-answer, the asker gone when it comes back)
    // is that asker's loss: unhandled, it would end the server and fail every later question.
    socket.on("error", () => undefined);
    socket.end(`${name} ${socket.remoteAddress?.replace(/^::ffff:/, "")}\n`);
  }).listen(port, address, () => process.stdout.write("listening\n"));
} else if (mode === "client") {
  let answer = "";
  const socket = createConnection({ host: address!, port, timeout: 3000 });
  socket.on("data", (chunk: Buffer) => (answer += chunk.toString()));
  socket.on("end", () => process.stdout.write(answer));
  socket.on("timeout", () => {
    process.stderr.write("no answer within 3 s\n");
    process.exit(1);
  });
  socket.on("error", (error) => {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  });
} else {
  process.stderr.write("usage: whoami.js server <bind> <port> <name> | client <address> <port>\n");
  process.exitCode = 2;
}
