// The Raspberry Pi firmware's throttling word, as `vcgencmd get_throttled` prints it
// ("throttled=0x50005") or the firmware driver's sysfs file holds it ("50005", hex without 0x).
//
//   bit  0  under-voltage detected now            bit 16  under-voltage has occurred
//   bit  1  ARM frequency capped now              bit 17  ARM frequency capping has occurred
//   bit  2  currently throttled                   bit 18  throttling has occurred
//   bit  3  soft temperature limit active now     bit 19  soft temperature limit has occurred
//
// ("has occurred": since boot.) Other bits are not defined by the firmware documentation and are
// ignored. Pure: text in, flags out.

import type { ThrottleFlags } from "../admin/admin-api.js";

const NOW_SHIFT = 0;
const SINCE_BOOT_SHIFT = 16;
const UNDER_VOLTAGE = 1 << 0;
const FREQUENCY_CAPPED = 1 << 1;
const THROTTLED = 1 << 2;
const SOFT_TEMPERATURE_LIMIT = 1 << 3;

export interface Throttling {
  readonly now: ThrottleFlags;
  readonly sinceBoot: ThrottleFlags;
}

/** The flags in `text`, or null when it is not a throttling word (an error message, say). */
export function parseThrottled(text: string): Throttling | null {
  const match = /^\s*(?:throttled=)?(?:0x)?([0-9a-f]{1,8})\s*$/i.exec(text);
  if (match === null) return null;
  const word = Number.parseInt(match[1]!, 16);
  return { now: flagsAt(word, NOW_SHIFT), sinceBoot: flagsAt(word, SINCE_BOOT_SHIFT) };
}

function flagsAt(word: number, shift: number): ThrottleFlags {
  const bits = word >>> shift;
  return {
    underVoltage: (bits & UNDER_VOLTAGE) !== 0,
    frequencyCapped: (bits & FREQUENCY_CAPPED) !== 0,
    throttled: (bits & THROTTLED) !== 0,
    softTemperatureLimit: (bits & SOFT_TEMPERATURE_LIMIT) !== 0,
  };
}
