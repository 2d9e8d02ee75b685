// Something on the path answering in the coordinator's place (a captive portal, a proxy, an
// attacker): it listens where the coordinator did and answers every request with a plaintext
// refusal, cycling through the codes a real coordinator seals, and prints each code it served.
//
//   node impostor-coordinator.js HOST PORT

import { createServer } from "node:http";

const ANSWERS: readonly { status: number; code: string }[] = [
  { status: 403, code: "not_registered" },
  { status: 403, code: "key_expired" },
  { status: 401, code: "wrong_coordinator" },
  { status: 401, code: "auth_key_invalid" },
  { status: 401, code: "session_unknown" },
];

const [host, port] = process.argv.slice(2);
let served = 0;
const server = createServer((request, response) => {
  request.resume();
  const answer = ANSWERS[served++ % ANSWERS.length]!;
  response.writeHead(answer.status, { "content-type": "application/json" });
  response.end(JSON.stringify({ error: answer.code, message: `impostor: ${answer.code}` }));
  process.stdout.write(`served ${answer.code}\n`);
});
server.listen(Number(port), host, () => process.stdout.write(`listening ${host}:${port}\n`));
process.once("SIGTERM", () => server.close(() => process.exit(0)));
