// Garbage for a WireGuard port, bounded in count: random datagrams of random sizes, some
// dressed as WireGuard messages (valid type bytes), sent as fast as the socket takes them.
//   node udp-flood.js <address> <port> <count>   → prints how many were sent

import { randomBytes, randomInt } from "node:crypto";
import { createSocket } from "node:dgram";

const [address, portText, countText] = process.argv.slice(2);
const port = Number(portText);
const count = Number(countText);
const socket = createSocket(address!.includes(":") ? "udp6" : "udp4");
let sent = 0;
// Errors (an ICMP unreachable reported on the socket) do not stop the flood; time does.
socket.on("error", () => undefined);
setTimeout(() => {
  process.stdout.write(`${sent}\n`);
  process.exit(0);
}, 60_000).unref();

function next(): void {
  if (sent >= count) {
    socket.close();
    process.stdout.write(`${sent}\n`);
    return;
  }
  const size = [148, 92, 64, 32, randomInt(0, 1500)][randomInt(0, 5)]!;
  const datagram = randomBytes(size);
  if (size >= 4 && randomInt(0, 2) === 0) datagram.set([randomInt(1, 5), 0, 0, 0]);
  sent++;
  socket.send(datagram, port, address, () => (sent % 256 === 0 ? setImmediate(next) : next()));
}
next();
