// Boots a copy of the image in qemu-system-aarch64 under software emulation: the `virt` board
// (virtio disk and network, with host ports forwarded to the guest's 80 and 22) or `raspi3b`
// (the image's own Raspberry Pi 3 DTB and SD controller, no network). The serial console goes
// to a file the test reads and keeps for a person to look at.

import { spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { bootKernelFiles, readFatFile } from "./image-files.js";

export interface BootedGuest {
  readonly serialLog: string;
  readonly ports: { readonly http: number; readonly ssh: number };
  serial(): string;
  waitForSerial(pattern: RegExp, limitMs: number): Promise<RegExpExecArray>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** A sparse copy of the image, `extraBytes` longer (room for the first boot to grow into). */
export function copyImage(image: string, destination: string, extraBytes: number): string {
  copyFileSync(image, destination);
  truncateSync(destination, statSync(destination).size + extraBytes);
  return destination;
}

/** qemu's SD card model wants a power-of-two size. */
export function padToPowerOfTwo(file: string): void {
  let size = 1;
  while (size < statSync(file).size) size *= 2;
  truncateSync(file, size);
}

function bootFiles(image: string, dir: string, names: readonly string[]): string[] {
  return names.map((name) => {
    const content = readFatFile(image, name);
    if (content === null) throw new Error(`${name} is not on the image's boot partition`);
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  });
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
});

function start(args: string[], serialLog: string, ports: { http: number; ssh: number }): BootedGuest {
  writeFileSync(serialLog, "");
  const child = spawn("qemu-system-aarch64", args, { stdio: ["ignore", "ignore", "pipe"] });
  running.add(child);
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  let exited: number | null = null;
  const gone = new Promise<void>((resolve) => child.on("exit", (code) => { exited = code ?? -1; running.delete(child); resolve(); }));
  const serial = (): string => readFileSync(serialLog, "utf8");
  return {
    serialLog,
    ports,
    serial,
    async waitForSerial(pattern, limitMs) {
      const deadline = Date.now() + limitMs;
      for (;;) {
        const match = pattern.exec(serial());
        if (match) return match;
        if (exited !== null) throw new Error(`qemu exited (${exited}) before the console showed ${pattern}: ${stderr.trim()}`);
        if (Date.now() > deadline) throw new Error(`the console did not show ${pattern} within ${limitMs / 1000} s (see ${serialLog})`);
        await sleep(1000);
      }
    },
    async stop() {
      if (exited === null && child.pid !== undefined) process.kill(child.pid, "SIGTERM");
      await Promise.race([gone, sleep(10_000)]);
      if (exited === null && child.pid !== undefined) process.kill(child.pid, "SIGKILL");
      await gone;
    },
  };
}

const COMMON = ["-nodefaults", "-display", "none", "-monitor", "none", "-no-reboot"];

/** The image on qemu's `virt` board: kernel and initrd from its boot partition, its root on virtio. */
export async function bootVirt(image: string, dir: string): Promise<BootedGuest> {
  const boot = bootKernelFiles(image);
  const [kernel, initrd] = bootFiles(image, dir, [boot.kernel, boot.initramfs]);
  const ports = { http: await freePort(), ssh: await freePort() };
  const serialLog = join(dir, "serial-virt.log");
  return start([
    ...COMMON, "-M", "virt", "-cpu", "cortex-a72", "-smp", "2", "-m", "1024",
    "-kernel", kernel!, "-initrd", initrd!,
    "-append", "root=LABEL=RASPIROOT rw rootwait fsck.repair=yes net.ifnames=0 console=ttyAMA0",
    "-drive", `if=none,id=disk,format=raw,file=${image}`, "-device", "virtio-blk-pci,drive=disk",
    "-netdev", `user,id=net,hostfwd=tcp:127.0.0.1:${ports.http}-:80,hostfwd=tcp:127.0.0.1:${ports.ssh}-:22`,
    "-device", "virtio-net-pci,netdev=net,romfile=", // no option ROM: the kernel is loaded directly
    "-serial", `file:${serialLog}`,
  ], serialLog, ports);
}

/** The image on qemu's Raspberry Pi 3 B: its own DTB and kernel, the card on the SD controller. */
export async function bootRaspi3b(image: string, dir: string): Promise<BootedGuest> {
  const boot = bootKernelFiles(image);
  const [kernel, initrd, dtb] = bootFiles(image, dir, [boot.kernel, boot.initramfs, "bcm2837-rpi-3-b.dtb"]);
  const serialLog = join(dir, "serial-raspi3b.log");
  // The Pi 3's console is the mini UART (ttyS1, qemu's second serial port), as the image's
  // cmdline.txt has it.
  return start([
    ...COMMON, "-M", "raspi3b", "-m", "1024",
    "-kernel", kernel!, "-initrd", initrd!, "-dtb", dtb!,
    "-append", "root=LABEL=RASPIROOT rw rootwait fsck.repair=yes net.ifnames=0 console=ttyS1,115200",
    "-drive", `if=sd,format=raw,file=${image}`,
    "-serial", "null", "-serial", `file:${serialLog}`,
  ], serialLog, { http: 0, ssh: 0 });
}
