// A UDP reflector for NAT lab tests: answers every datagram with the address and port it came
// from, as text ("11.0.0.11:40001") — what the far side of a NAT sees of a sender.
//
//   node udp-reflector.js PORT

import { createSocket } from "node:dgram";

const socket = createSocket("udp4");
socket.on("message", (_message, from) => socket.send(`${from.address}:${from.port}`, from.port, from.address));
socket.bind(Number(process.argv[2]), () => process.stdout.write("ready\n"));
process.once("SIGTERM", () => socket.close(() => process.exit(0)));
