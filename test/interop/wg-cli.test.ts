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
