// Sends one datagram from one local UDP port to each target and prints, as JSON, what each
// answered (a udp-reflector says how it saw us) or null after TIMEOUT_MS.
//
//   node udp-probe.js LOCAL_PORT HOST:PORT [HOST:PORT …]

import { createSocket } from "node:dgram";

const TIMEOUT_MS = 1500;
const [localPort, ...targets] = process.argv.slice(2);
const socket = createSocket("udp4");
const answers: Record<string, string | null> = Object.fromEntries(targets.map((target) => [target, null]));
socket.on("message", (message, from) => (answers[`${from.address}:${from.port}`] = message.toString()));
socket.bind(Number(localPort), () => {
  for (const target of targets) {
    const [host, port] = target.split(":");
    socket.send("probe", Number(port), host);
  }
  setTimeout(() => {
    process.stdout.write(`${JSON.stringify(answers)}\n`);
    socket.close();
  }, TIMEOUT_MS);
});
