// Runs the port mapper, on the real adapters (src/io/gateway.ts, src/io/portmap-*.ts), inside a
// NAT lab host's namespace, driven line by line over stdin with a clock the test controls:
//
//   node portmap-driver.js LOCAL_PORT [PROTOCOL,…]
//   stdin  {"op":"poll","now":0}   stdout {"route":{…},"status":{…},"nextDeadline":…,"sent":[…]}
//   stdin  {"op":"stop"}           stdout {"deletions":[…protocols],"sent":[…]}  (sent, answered or timed out)
//
// `sent` names the requests the mapper made during the command ("pcp announce", "pcp map",
// "natpmp address", "natpmp map", "ssdp search", "upnp description", "upnp <SOAP action>"),
// so the test can tell a renewal from a fresh mapping.
//
// The test's clock lets it jump to the renewal time without waiting an hour; the gateway's own
// clock runs in real time, which is what the router's lease file shows.

import { createInterface } from "node:readline";
import { createPortMapper } from "../../src/nat/portmap/port-mapper.js";
import { sendDeletions, type PortMapProtocol, type PortMapTransports } from "../../src/nat/portmap/port-mapping.js";
import { findGatewayRoute } from "../../src/io/gateway.js";
import { createPortMapTransports } from "../../src/io/portmap-transports.js";
import { createSystemRandom } from "../../src/io/system-random.js";

// Generous: the machine is shared, and a slow answer must not read as silence.
const real = createPortMapTransports({ exchange: { timeoutMs: 5000 }, ssdp: { timeoutMs: 5000 }, http: { timeoutMs: 10_000 } });
let sent: string[] = [];
const transports: PortMapTransports = {
  gatewayExchange(gateway, request) {
    sent.push(`${request[0] === 2 ? "pcp" : "natpmp"} ${request[1] === 0 ? (request[0] === 2 ? "announce" : "address") : "map"}`);
    return real.gatewayExchange(gateway, request);
  },
  ssdpSearch(gateway, searches) {
    sent.push("ssdp search");
    return real.ssdpSearch(gateway, searches);
  },
  upnpHttp(request) {
    sent.push(request.method === "GET" ? "upnp description" : `upnp ${/#(\w+)"$/.exec(request.headers.SOAPAction ?? "")?.[1]}`);
    return real.upnpHttp(request);
  },
};
const takeSent = (): string[] => sent.splice(0);
const [localPort, protocolList] = process.argv.slice(2);
const protocols = protocolList === undefined ? undefined : (protocolList.split(",") as PortMapProtocol[]);
const mapper = createPortMapper({ localPort: Number(localPort), transports, random: createSystemRandom(), ...(protocols === undefined ? {} : { protocols }) });

const write = (value: unknown): void => void process.stdout.write(`${JSON.stringify(value)}\n`);

// One command at a time, in order: the next line waits for the previous answer.
let queue = Promise.resolve();
createInterface({ input: process.stdin }).on("line", (line) => {
  queue = queue.then(async () => {
    const command = JSON.parse(line) as { op: "poll"; now: number } | { op: "stop" };
    if (command.op === "poll") {
      const route = await findGatewayRoute();
      const status = await mapper.poll(command.now, route);
      write({ route, status, nextDeadline: mapper.nextDeadline(), sent: takeSent() });
    } else {
      const deletions = mapper.stop();
      await sendDeletions(transports, deletions);
      write({ deletions: deletions.map((deletion) => deletion.protocol), sent: takeSent() });
      process.exit(0);
    }
  });
});
