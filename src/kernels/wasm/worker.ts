/**
 * Kernel worker thread: instantiates the shared compiled module over the shared memory, reports
 * ready, then loops: wait for the job generation to change (spin, then Atomics.wait), run this
 * thread's share, count PENDING down (waking the main thread on the last one). See pool.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CTRL, ERROR_BYTES, ERROR_OFFSET, SCRATCH_PER_THREAD } from './layout.js';
import type { WorkerData } from './pool.js';

interface KernelExports {
  setup(ctrl: number, scratch: number, stride: number): void;
  run(kernel: number, tid: number, nt: number): void;
}

const data = workerData as WorkerData;
const instance = new WebAssembly.Instance(data.module, { env: { memory: data.memory } });
const k = instance.exports as unknown as KernelExports;
k.setup(data.layout.ctrlBase, data.layout.scratchBase, SCRATCH_PER_THREAD);
const ctrl = new Int32Array(data.memory.buffer, data.layout.ctrlBase, 16);
// Read the generation before reporting ready: no job can be posted until every worker is ready.
let seen = Atomics.load(ctrl, CTRL.GEN);
parentPort!.postMessage('ready');
for (;;) {
  let spins = 0,
    gen = Atomics.load(ctrl, CTRL.GEN);
  const deadline = performance.now() + data.spinUs / 1000;
  while (gen === seen) {
    if ((++spins & 255) === 0 && performance.now() > deadline) Atomics.wait(ctrl, CTRL.GEN, seen);
    gen = Atomics.load(ctrl, CTRL.GEN);
  }
  seen = gen;
  if (Atomics.load(ctrl, CTRL.STOP) !== 0) break;
  const nt = ctrl[CTRL.NT]!;
  if (data.tid < nt) {
    try {
      k.run(ctrl[CTRL.KERNEL]!, data.tid, nt);
    } catch (err) {
      // report through the control block: the main thread is blocked and cannot take messages
      const msg = new TextEncoder().encode(`worker ${data.tid}: ${(err as Error).message}`.slice(0, ERROR_BYTES / 4));
      new Uint8Array(data.memory.buffer, data.layout.ctrlBase + ERROR_OFFSET, ERROR_BYTES).set(
        msg.subarray(0, ERROR_BYTES - 1),
      );
      Atomics.store(ctrl, CTRL.ERROR, msg.length);
    }
  }
  if (Atomics.sub(ctrl, CTRL.PENDING, 1) === 1) Atomics.notify(ctrl, CTRL.PENDING);
}
