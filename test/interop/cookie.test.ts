// The cookie path (whitepaper §5.3, §5.4.7) between meshgate and Debian's wireguard-go, in
// network namespaces (root): a third host floods one side with initiations that carry a valid
// mac1 (handshake-flooder.ts) until that side is under load; the other side's handshake must
// then go through a cookie reply — answered with a cookie, retried with mac2, accepted.
//   1. wireguard-go under load (its handshake queue 1/8 full), meshgate initiates;
//   2. meshgate under load, wireguard-go initiates.
// Nothing here depends on timing thresholds: waits are generous upper bounds for things that
// must happen, and the assertions are about what happened.

import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { describeNeeding, tool } from "../requirements.js";
import { Lab, NAMESPACE_NEEDS, type AttachedHost } from "./netns.js";
import { connect, startMeshgate, startWireguardGo, type MeshgateSide, type WireGuardSide, type WireguardGoSide } from "./wireguard-peers.js";

const FLOODER = fileURLToPath(new URL("../bench/handshake-flooder.js", import.meta.url));
// Initiations a second, in bursts: each burst fills wireguard-go's handshake queue past 1/8
// however fast its workers (a steady trickle at the same rate may not, on a fast machine), and
// is far above the 100 a second that put meshgate under load. Between bursts both queues drain,
// so the real peer's messages get in.
const FLOOD_RATE = 5000;
const FLOOD_BURST = 512;
const FLOOD_MAX_SECONDS = 90; // an upper bound; the tests stop the flood when they are done
const HANDSHAKE_WAIT_MS = 60_000; // REKEY_TIMEOUT retries every 5 s; this is many of them
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Flood {
  readonly child: ChildProcess & { output: string[] };
  // SIGTERM, then the flooder's report.
  stop(): Promise<{ sent: number; cookie_replies: number }>;
}

function startFlood(lab: Lab, flooder: AttachedHost, target: WireGuardSide): Flood {
  const child = lab.adopt(
    flooder.ns.spawn(process.execPath, [FLOODER, flooder.peerAddress, String(target.port), target.publicKey, String(FLOOD_RATE), String(FLOOD_MAX_SECONDS), String(FLOOD_BURST)]),
  );
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  return {
    child,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await closed;
      const report = child.output.join("").trim().split("\n").at(-1) ?? "";
      assert.ok(report.startsWith("{"), `the flooder reported: ${child.output.join("")}`);
      return JSON.parse(report) as { sent: number; cookie_replies: number };
    },
  };
}

// Polls `check` until it returns a value other than undefined, or gives up after `ms`.
async function waitFor<T>(ms: number, check: () => Promise<T | undefined> | T | undefined): Promise<T | undefined> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(250)) {
    const value = await check();
    if (value !== undefined) return value;
  }
  return undefined;
}

const latestHandshake = async (side: WireGuardSide): Promise<number> => (await side.peers())[0]?.latestHandshake ?? 0;
const count = (load: Record<string, string>, key: string): number => Number(load[key] ?? 0);

describeNeeding([...NAMESPACE_NEEDS, tool("ping"), tool("wg"), tool("wireguard-go")], "interop: cookie replies between meshgate and wireguard-go", () => {
  // Each part builds its own lab in these and destroys it in its `after`.
  let lab: Lab;
  let flooder: AttachedHost;
  let meshgate: MeshgateSide;
  let wggo: WireguardGoSide;

  const tearDown = async (): Promise<void> => {
    if (meshgate !== undefined && !meshgate.alive()) process.stderr.write(`meshgate output:\n${meshgate.output.join("")}\n`);
    await lab?.destroy();
  };

  describe("wireguard-go under load, meshgate initiates", () => {
    before(async () => {
      lab = await Lab.create("k", 75);
      flooder = await lab.attachHost("f", lab.right, 75);
      meshgate = await startMeshgate(lab, { ns: lab.left, iface: `${lab.left.name.slice(0, 12)}wg`, port: 51820, host: 1, net: 75 });
      wggo = await startWireguardGo(lab, { ns: lab.right, iface: `${lab.right.name.slice(0, 12)}wg`, port: 51821, host: 2, net: 75 });
      await connect(meshgate, lab.underlay4(1), wggo, lab.underlay4(2));
    });
    after(tearDown);

    test("meshgate takes wireguard-go's cookie reply, retries with mac2, and the handshake completes", async () => {
      // wireguard-go is under load while its handshake queue is at least 1/8 full, and for a
      // second after; should an initiation still land outside that (a burst lost, say), it
      // completes without a cookie. Then the sessions are forgotten and meshgate tries again:
      // a few attempts make missing the under-load state every time negligible, and a meshgate
      // that never takes a cookie fails every one.
      let consumed = 0;
      let completed = false;
      let floodReport = { sent: 0, cookie_replies: 0 };
      for (let attempt = 1; attempt <= 4 && consumed === 0; attempt++) {
        const consumedBefore = count(meshgate.handshakeLoad(), "cookie_replies_received");
        const flood = startFlood(lab, flooder, wggo);
        await sleep(1500); // the first bursts put it under load
        // One packet starts the handshake; meshgate retries it every REKEY_TIMEOUT on its own.
        await lab.left.ping(wggo.tunnel4, 1);
        completed = (await waitFor(HANDSHAKE_WAIT_MS, async () => ((await latestHandshake(meshgate)) > 0 ? true : undefined))) === true;
        // meshgate logs its counters at most every 10 s (and at once after a quiet spell).
        consumed = (await waitFor(15_000, () => {
          const now = count(meshgate.handshakeLoad(), "cookie_replies_received") - consumedBefore;
          return now > 0 ? now : undefined;
        })) ?? 0;
        floodReport = await flood.stop();
        if (consumed === 0) {
          // Forget the session on both sides, so the next attempt starts from scratch.
          await meshgate.wgSet(["peer", wggo.publicKey, "remove"]);
          await wggo.wgSet(["peer", meshgate.publicKey, "remove"]);
          await connect(meshgate, lab.underlay4(1), wggo, lab.underlay4(2));
          await sleep(1500); // wireguard-go's under-load state lapses
        }
      }
      assert.ok(floodReport.cookie_replies > 0, `wireguard-go was under load: it answered the flood with ${floodReport.cookie_replies} cookie replies`);
      assert.ok(consumed > 0, `meshgate accepted a cookie reply from wireguard-go (its log: ${JSON.stringify(meshgate.handshakeLoad())})`);
      assert.ok(completed, "the handshake completed");
      assert.deepEqual(await lab.left.ping(wggo.tunnel4), { sent: 3, received: 3 });
      assert.deepEqual(await lab.right.ping(meshgate.tunnel4), { sent: 3, received: 3 });
      // wireguard-go, the responder, records its handshake only once data arrives under the new
      // keys (the pings above; seen once in a full run: asked before them, it still said 0).
      assert.ok((await latestHandshake(meshgate)) > 0 && (await latestHandshake(wggo)) > 0, "both sides have a session");
    });
  });

  describe("meshgate under load, wireguard-go initiates", () => {
    before(async () => {
      lab = await Lab.create("q", 76);
      flooder = await lab.attachHost("f", lab.right, 76);
      wggo = await startWireguardGo(lab, { ns: lab.left, iface: `${lab.left.name.slice(0, 12)}wg`, port: 51820, host: 1, net: 76, verbose: true });
      meshgate = await startMeshgate(lab, { ns: lab.right, iface: `${lab.right.name.slice(0, 12)}wg`, port: 51821, host: 2, net: 76 });
      await connect(wggo, lab.underlay4(1), meshgate, lab.underlay4(2));
    });
    after(tearDown);

    test("wireguard-go takes meshgate's cookie reply, retries with a mac2 meshgate accepts, and the handshake completes", async () => {
      const flood = startFlood(lab, flooder, meshgate);
      let floodReport: { sent: number; cookie_replies: number } | null = null;
      try {
        // Bursts of 512, 5,000 a second: meshgate is under load as long as the flood lasts.
        const underLoad = await waitFor(15_000, () => (meshgate.handshakeLoad()["under_load"] === "yes" ? true : undefined));
        assert.equal(underLoad, true, `meshgate is under load: ${JSON.stringify(meshgate.handshakeLoad())}`);
        await lab.left.ping(meshgate.tunnel4, 1); // starts the handshake; wireguard-go retries on its own
        const completed = await waitFor(HANDSHAKE_WAIT_MS, async () => ((await latestHandshake(wggo)) > 0 ? true : undefined));
        assert.equal(completed, true, "the handshake completed under the flood");
        // The flood still runs: meshgate is still under load, so the initiation it accepted
        // must have carried a valid mac2 (otherwise it would have had a cookie reply).
        const accepted = await waitFor(15_000, () => (count(meshgate.handshakeLoad(), "valid_mac2") > 0 ? meshgate.handshakeLoad() : undefined));
        assert.ok(accepted !== undefined, `meshgate counted a valid mac2: ${JSON.stringify(meshgate.handshakeLoad())}`);
        assert.equal(accepted["under_load"], "yes");
      } finally {
        floodReport = await flood.stop();
      }
      const wggoLog = wggo.output.join("");
      assert.match(wggoLog, new RegExp(`Receiving cookie response from ${lab.underlay4(2).replaceAll(".", "\\.")}:${meshgate.port}`), "wireguard-go got meshgate's cookie reply");
      assert.doesNotMatch(wggoLog, /Could not decrypt invalid cookie response/, "and could open it");
      assert.ok(count(meshgate.handshakeLoad(), "cookie_replies_sent") > 0);
      assert.ok(floodReport.cookie_replies > 0, "the flood got cookie replies too");
      assert.deepEqual(await lab.left.ping(meshgate.tunnel4), { sent: 3, received: 3 });
      assert.deepEqual(await lab.right.ping(wggo.tunnel4), { sent: 3, received: 3 });
    });
  });
});
