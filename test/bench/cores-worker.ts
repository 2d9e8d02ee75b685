// The second thread of `npm run bench:cores` (cores.ts says what is measured). It has a WASM
// core of its own and waits for jobs in a SharedArrayBuffer:
//   control[JOB]: the job number (a new one is a job; -1: exit), control[DONE]: the last job
//   done, control[COUNT]: messages to seal (0: only answer), control[SPIN_US]: how long to
//   poll for the next job before sleeping in Atomics.wait.
// A job copies `count` plaintexts out of `data`, seals them and copies the sealed messages back.
// Mode "alone" instead seals its own batches for the given time and posts MB/s.

import { parentPort, workerData } from "node:worker_threads";
import { CONTROL, sealerFor, sealForMs, type CoresWorkerData } from "./cores-sealer.js";

const data = workerData as CoresWorkerData;
const sealer = sealerFor(data.key);

if (data.mode === "alone") {
  parentPort!.postMessage(sealForMs(sealer, data.ms));
} else {
  const control = new Int32Array(data.control);
  const shared = new Uint8Array(data.shared);
  let seen = 0;
  for (;;) {
    const spinUntil = performance.now() + Atomics.load(control, CONTROL.SPIN_US) / 1000;
    while (Atomics.load(control, CONTROL.JOB) === seen && performance.now() < spinUntil);
    while (Atomics.load(control, CONTROL.JOB) === seen) Atomics.wait(control, CONTROL.JOB, seen);
    seen = Atomics.load(control, CONTROL.JOB);
    if (seen < 0) break;
    const count = Atomics.load(control, CONTROL.COUNT);
    if (count > 0) {
      const bytes = count * sealer.stride;
      sealer.arena.set(shared.subarray(0, bytes), 0);
      sealer.seal(count);
      shared.set(sealer.arena.subarray(0, bytes), 0);
    }
    Atomics.store(control, CONTROL.DONE, seen);
    Atomics.notify(control, CONTROL.DONE);
  }
}
