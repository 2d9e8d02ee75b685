// `meshgate wg up` / `meshgate wg down` as a user runs them, in a network namespace: the
// background start returns once the interface answers, down removes link, socket and pid
// file, a broken file names its line, and a kill -9 leaves nothing that blocks the next up.

import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { describeNeeding, tool } from "../requirements.js";
import { Lab, NAMESPACE_NEEDS, PREFIX } from "./netns.js";
import { generateKeys } from "./wireguard-peers.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
describeNeeding([...NAMESPACE_NEEDS, tool("wg"), tool("setpriv"), tool("ss")], "meshgate wg up / down", () => {
  let lab: Lab;
  const name = `${PREFIX}c`;
  const configPath = join(tmpdir(), `${name}.conf`);

  before(async () => {
    lab = await Lab.create("c", 74);
    const keys = await generateKeys(name);
    const peer = await generateKeys(`${name}p`);
    writeFileSync(
      configPath,
      `[Interface]\nPrivateKey = ${keys.privateKey}\nAddress = 10.74.0.1/24\nMTU = 1380\n` +
        `[Peer]\nPublicKey = ${peer.publicKey}\nAllowedIPs = 10.74.5.0/24, fd74::/64\n`,
      { mode: 0o600 },
    );
  });
  after(async () => {
    await lab.left.exec(process.execPath, [MAIN, "wg", "down", name]).catch(() => undefined);
    await lab?.destroy();
  });

  const meshgate = async (...args: string[]): Promise<{ code: number; output: string }> => {
    try {
      const { stdout, stderr } = await lab.left.exec(process.execPath, [MAIN, ...args], 30_000);
      return { code: 0, output: stdout + stderr };
    } catch (error) {
      return { code: 1, output: String(error) };
    }
  };

  test("up in the background, visible to ip and wg, then down removes everything", async () => {
    const up = await meshgate("wg", "up", configPath);
    assert.equal(up.code, 0, up.output);
    assert.match(up.output, new RegExp(`${name} is up \\(pid \\d+\\)`));
    const link = (await lab.left.exec("ip", ["link", "show", name])).stdout;
    assert.match(link, /mtu 1380/);
    assert.match((await lab.left.exec("ip", ["address", "show", name])).stdout, /10\.74\.0\.1\/24/);
    assert.match((await lab.left.exec("ip", ["route", "show", "dev", name])).stdout, /10\.74\.5\.0\/24/, "AllowedIPs are routed");
    assert.match((await lab.left.exec("ip", ["-6", "route", "show", "dev", name])).stdout, /fd74::\/64/);
    assert.match((await lab.left.exec("wg", ["show", name])).stdout, new RegExp(`interface: ${name}`));
    assert.equal((await meshgate("wg", "up", configPath)).code, 1, "a second up is refused");

    const down = await meshgate("wg", "down", name);
    assert.equal(down.code, 0, down.output);
    await assert.rejects(lab.left.exec("ip", ["link", "show", name]), /does not exist/);
    assert.equal(existsSync(`/var/run/wireguard/${name}.sock`), false);
    assert.equal(existsSync(`/var/run/meshgate/${name}.pid`), false);
    assert.match((await meshgate("wg", "down", name)).output, /is not up/);
  });

  test("wg set fwmark on a running interface marks its sockets and keeps its port", async () => {
    assert.equal((await meshgate("wg", "up", configPath)).code, 0);
    try {
      const sockets = async (): Promise<string> => (await lab.left.exec("ss", ["-uaneH"])).stdout;
      const port = (await lab.left.exec("wg", ["show", name, "listen-port"])).stdout.trim();
      await lab.left.exec("wg", ["set", name, "fwmark", "0x1234"]);
      assert.equal((await lab.left.exec("wg", ["show", name, "fwmark"])).stdout.trim(), "0x1234");
      assert.equal((await lab.left.exec("wg", ["show", name, "listen-port"])).stdout.trim(), port, "the port is kept");
      const marked = (await sockets()).split("\n").filter((line) => line.includes(`:${port} `) && line.includes("fwmark:0x1234"));
      assert.equal(marked.length, 2, `both sockets (IPv4, IPv6) carry the mark:\n${await sockets()}`);
      await lab.left.exec("wg", ["set", name, "fwmark", "off"]);
      assert.doesNotMatch(await sockets(), /fwmark:0x1234/);
    } finally {
      await meshgate("wg", "down", name);
    }
  });

  test("AllowedIPs = 0.0.0.0/0: everything goes through the tunnel the way wg-quick sends it, but the tunnel's own datagrams", async () => {
    // The far end: a second meshgate in the right namespace, with an "internet" address of its own.
    const far = await generateKeys(`${name}f`);
    const near = await generateKeys(`${name}n`);
    const farName = `${PREFIX}d`;
    const farConfig = join(tmpdir(), `${farName}.conf`);
    const nearConfig = join(tmpdir(), `${PREFIX}g.conf`);
    writeFileSync(farConfig, `[Interface]\nPrivateKey = ${far.privateKey}\nAddress = 10.74.9.2/24\nListenPort = 51899\n[Peer]\nPublicKey = ${near.publicKey}\nAllowedIPs = 10.74.9.1/32\n`, { mode: 0o600 });
    writeFileSync(nearConfig, `[Interface]\nPrivateKey = ${near.privateKey}\nAddress = 10.74.9.1/24\n[Peer]\nPublicKey = ${far.publicKey}\nAllowedIPs = 0.0.0.0/0\nEndpoint = ${lab.underlay4(2)}:51899\n`, { mode: 0o600 });
    await lab.right.exec("ip", ["address", "add", "203.0.113.9/32", "dev", "lo"]);
    const farUp = await lab.right.exec(process.execPath, [MAIN, "wg", "up", farConfig]).then(() => "", (error: Error) => error.message);
    assert.equal(farUp, "");
    try {
      const up = await meshgate("wg", "up", nearConfig);
      assert.equal(up.code, 0, up.output);
      const rules = (await lab.left.exec("ip", ["-4", "rule", "show"])).stdout;
      assert.match(rules, /5210:\s+from all lookup main suppress_prefixlength 0/);
      assert.match(rules, /5220:\s+not from all fwmark 0xca6c lookup 51820/);
      assert.match((await lab.left.exec("ip", ["route", "show", "table", "51820"])).stdout, new RegExp(`default dev ${PREFIX}g`));
      assert.equal((await lab.left.exec("wg", ["show", `${PREFIX}g`, "fwmark"])).stdout.trim(), "0xca6c");
      // An address only the far end has: reachable only through the tunnel, whose own datagrams still take the veth.
      assert.equal((await lab.left.ping("203.0.113.9", 3)).received > 0, true, "the internet through the tunnel");
      assert.match((await lab.left.exec("wg", ["show", `${PREFIX}g`, "latest-handshakes"])).stdout, /\t[1-9]\d*\n/);
      assert.equal((await lab.left.ping(lab.underlay4(2), 1)).received, 1, "the local network stays direct (suppress_prefixlength 0)");
      const down = await meshgate("wg", "down", `${PREFIX}g`);
      assert.equal(down.code, 0, down.output);
      assert.doesNotMatch((await lab.left.exec("ip", ["-4", "rule", "show"])).stdout, /51820/, "down takes the rules back");
    } finally {
      await meshgate("wg", "down", `${PREFIX}g`);
      await lab.right.exec(process.execPath, [MAIN, "wg", "down", farName]).catch(() => undefined);
    }
  });

  test("without CAP_NET_ADMIN the error says so", async () => {
    const readable = join(tmpdir(), `${PREFIX}u.conf`);
    writeFileSync(readable, `[Interface]\nPrivateKey = ${(await generateKeys(`${name}u`)).privateKey}\n`, { mode: 0o644 });
    const result = await lab.left
      .exec("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all", process.execPath, MAIN, "wg", "up", "--foreground", readable])
      .then(() => "succeeded", (error: unknown) => String(error));
    assert.match(result, /CAP_NET_ADMIN/);
  });

  test("a broken file is refused with its line and field", async () => {
    const broken = join(tmpdir(), `${PREFIX}x.conf`);
    writeFileSync(broken, "[Interface]\nPrivateKey = not-a-key\n", { mode: 0o600 });
    const result = await meshgate("wg", "up", "--foreground", broken);
    assert.equal(result.code, 1);
    assert.match(result.output, /:2: PrivateKey/);
  });

  test("after kill -9 the interface is gone and up works again", async () => {
    const child = lab.adopt(lab.left.spawn(process.execPath, [MAIN, "wg", "up", "--foreground", configPath]));
    for (let i = 0; i < 100 && !child.output.join("").includes(" is up ("); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(child.exitCode, null, `meshgate should be running: ${child.output.join("")}`);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    await assert.rejects(lab.left.exec("ip", ["link", "show", name]), /does not exist/, "the kernel removed the TUN");
    const up = await meshgate("wg", "up", configPath);
    assert.equal(up.code, 0, `stale socket and pid file do not block: ${up.output}`);
    assert.equal((await meshgate("wg", "down", name)).code, 0);
  });
});
