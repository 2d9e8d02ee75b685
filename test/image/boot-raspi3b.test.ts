// The image as a Raspberry Pi 3 B boots it, in qemu's raspi3b board: the image's own kernel,
// Pi 3 device tree and SD card controller, nothing written to the card beforehand. The
// service must come up: its console announcement (printed once the node and the admin page
// are up) names the admin page and the first-run setup code.

import assert from "node:assert/strict";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { describeNeeding, tool } from "../requirements.js";
import { BUILT_IMAGE, IMAGE, IMAGE_TOOLS, readFatFile } from "./image-files.js";
import { bootRaspi3b, copyImage, padToPowerOfTwo, type BootedGuest } from "./qemu.js";

const REPO = join(import.meta.dirname, "..", "..", "..");
const OUTPUT = join(REPO, "test-output", "image", "raspi3b");
const LIMIT_MS = 15 * 60_000; // four emulated Cortex-A53s: ~150 s to the kernel's userspace, Node's first start is slow

describeNeeding([BUILT_IMAGE, ...IMAGE_TOOLS, tool("qemu-system-aarch64")], "the image booted as a Raspberry Pi 3 B (qemu raspi3b)", () => {
  let guest: BootedGuest | undefined;
  const card = join(OUTPUT, "card.img");
  after(async () => {
    await guest?.stop();
    rmSync(card, { force: true });
  });

  test("the kernel finds the root on the SD card, systemd starts meshgate, and the console announces the admin page", async () => {
    rmSync(OUTPUT, { recursive: true, force: true });
    mkdirSync(OUTPUT, { recursive: true });
    copyImage(IMAGE, card, 0);
    padToPowerOfTwo(card);
    guest = await bootRaspi3b(card, OUTPUT);
    await guest.waitForSerial(/Machine model: Raspberry Pi 3 Model B/, 5 * 60_000);
    const announced = await guest.waitForSerial(/meshgate admin page: (http:\/\/\S+)/, LIMIT_MS);
    assert.equal(announced[1], "http://meshgate.local/");
    const code = (await guest.waitForSerial(/first-run setup code: ([A-Z0-9-]+)/, 60_000))[1]!;
    const onCard = readFatFile(card, "meshgate-setup-code.txt")?.toString("utf8") ?? "";
    assert.match(onCard, new RegExp(`setup code: ${code}`), "the same code on the boot partition");
    assert.doesNotMatch(guest.serial(), /Failed to start meshgate/);
  });
});
