// RouterEffects in memory: nft tables by name (a script replaces its table whole, as one nft
// transaction does, or fails and changes nothing), the two forwarding sysctls, a log of every
// call in order, failures on demand, and a gate to hold nft calls open (serialisation tests).

import type { ForwardingSysctl, RouterEffects } from "../../src/router/subnet-router.js";

type Method = keyof RouterEffects;

export class FakeRouterEffects implements RouterEffects {
  readonly tables = new Map<string, string>(); // table name → the script that made it
  readonly sysctls: Record<ForwardingSysctl, string | null> = { "net.ipv4.ip_forward": "0", "net.ipv6.conf.all.forwarding": "0" };
  readonly calls: string[] = [];
  private readonly failures = new Map<Method, Error>();
  private gate: Promise<void> | null = null;
  private inFlight = 0;
  maxInFlight = 0;

  /** The next call of `method` rejects with `error` (once). */
  failNext(method: Method, error: Error): void {
    this.failures.set(method, error);
  }

  /** nft calls wait until the returned function is called. */
  holdNft(): () => void {
    let release!: () => void;
    this.gate = new Promise((resolve) => (release = resolve));
    return () => {
      this.gate = null;
      release();
    };
  }

  async applyNftScript(script: string): Promise<void> {
    await this.nftCall("applyNftScript", "applyNftScript", () => {
      const name = /^table inet (\S+) \{\}$/m.exec(script)?.[1];
      if (name === undefined) throw new Error(`the fake reads the table name from "table inet X {}": ${script.slice(0, 80)}`);
      this.tables.set(name, script);
    });
  }

  async deleteNftTable(name: string): Promise<void> {
    await this.nftCall("deleteNftTable", `deleteNftTable ${name}`, () => void this.tables.delete(name));
  }

  async readSysctl(name: ForwardingSysctl): Promise<string | null> {
    this.record("readSysctl", `readSysctl ${name}`);
    return this.sysctls[name];
  }

  async writeSysctl(name: ForwardingSysctl, value: string): Promise<void> {
    this.record("writeSysctl", `writeSysctl ${name}=${value}`);
    this.sysctls[name] = value;
  }

  private async nftCall(method: Method, call: string, effect: () => void): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await Promise.resolve(); // always asynchronous, like the real one
      while (this.gate !== null) await this.gate;
      this.record(method, call);
      effect();
    } finally {
      this.inFlight--;
    }
  }

  private record(method: Method, call: string): void {
    this.calls.push(call);
    const failure = this.failures.get(method);
    if (failure !== undefined) {
      this.failures.delete(method);
      throw failure;
    }
  }
}
