// The image as a Raspberry Pi 3 B boots it, in qemu's raspi3b board: the image's own kernel,
// Pi 3 device tree and SD card controller, with a meshgate.conf that has mistakes in it. The
// Pi must boot as if there were none, say which lines are wrong (console and card), and the
// service must come up: its console announcement (printed once the node and the admin page
// are up) names the admin page and the first-run setup code.

import assert from "node:assert/strict";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { describeNeeding, tool } from "../requirements.js";
import { BUILT_IMAGE, IMAGE, IMAGE_TOOLS, readFatFile, writeFatFile } from "./image-files.js";
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

  test("the kernel finds the root on the SD card, a wrong meshgate.conf changes nothing and says why, meshgate starts and announces its page", async () => {
    rmSync(OUTPUT, { recursive: true, force: true });
    mkdirSync(OUTPUT, { recursive: true });
    copyImage(IMAGE, card, 0);
    padToPowerOfTwo(card);
    writeFatFile(card, "meshgate.conf", "# two mistakes\nhostname = my_pi\nadmin_password = correct horse battery\nwifi_ssid = home\n", OUTPUT);
    guest = await bootRaspi3b(card, OUTPUT);
    await guest.waitForSerial(/Machine model: Raspberry Pi 3 Model B/, 5 * 60_000);
    await guest.waitForSerial(/meshgate\.conf line 2 \(hostname\)/, LIMIT_MS);
    // Each mistake is its own console line and the mini UART is slow: the second may still be
    // on its way when the first shows (a CI run read the log in between).
    await guest.waitForSerial(/meshgate\.conf line 4 \(wifi_ssid\)/, 60_000);
    const announced = await guest.waitForSerial(/meshgate admin page: (http:\/\/\S+)/, LIMIT_MS);
    assert.equal(announced[1], "http://meshgate.local/", "the hostname was not changed");
    const code = (await guest.waitForSerial(/first-run setup code: ([A-Z0-9-]+)/, 60_000))[1]!;
    const onCard = readFatFile(card, "meshgate-setup-code.txt")?.toString("utf8") ?? "";
    assert.match(onCard, new RegExp(`setup code: ${code}`), "the same code on the boot partition: no password was applied");
    assert.match(readFatFile(card, "meshgate-config-errors.txt")?.toString("utf8") ?? "", /line 2 \(hostname\)[\s\S]*line 4 \(wifi_ssid\)/);
    assert.ok(readFatFile(card, "meshgate.conf"), "left for the person to fix");
    assert.doesNotMatch(guest.serial(), /Failed to start meshgate/);
  });
});
