/**
 * The thread pool: the main thread plus (threads - 1) workers, each with its own instance of the same
 * compiled kernel module over one shared memory. A job is dispatched through the control block:
 * the host writes the arguments, bumps GEN and notifies; workers (spinning briefly after their last
 * job, then parked in Atomics.wait) run their share and count PENDING down; the main thread runs share
 * 0 meanwhile and waits for PENDING to reach 0. Jobs with nt = 1 run inline: one wasm call.
 */
import { Worker } from 'node:worker_threads';
import { CTRL, ERROR_BYTES, ERROR_OFFSET, type Layout } from './layout.js';

/**
 * Waiting policy, measured on the 2-core machine while other processes ran. A futex wake costs
 * 50-200 us here, so a worker keeps polling for WORKER_SPIN_US after each job: bursts of jobs (a
 * training step issues hundreds) then find it awake (empty 2-thread job: ~1 us round trip). Polling
 * longer (1 ms) halved bench train: the poller takes the core from V8's helper threads and from the
 * main thread when the OS puts both on one core. For the same reason the main thread polls only
 * MAIN_SPIN_US for the workers and then sleeps in short slices (woken early by the last worker):
 * with both threads on one busy core, that cut a 2-thread copy from ~0.7 ms to ~0.1 ms.
 */
const WORKER_SPIN_US = 200;
const MAIN_SPIN_US = 30;
const MAIN_WAIT_SLICE_MS = 0.05;

export type RunFn = (kernel: number, tid: number, nt: number) => void;

export interface WorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  tid: number;
  layout: Layout;
  /** Microseconds to poll before parking. */
  spinUs: number;
}

export class ThreadPool {
  private readonly ctrl: Int32Array;
  private readonly errorText: Uint8Array;
  private disposed = false;

  private constructor(
    memory: WebAssembly.Memory,
    layout: Layout,
    private readonly exec: RunFn,
    private readonly workers: Worker[],
  ) {
    this.ctrl = new Int32Array(memory.buffer, layout.ctrlBase, 16);
    this.errorText = new Uint8Array(memory.buffer, layout.ctrlBase + ERROR_OFFSET, ERROR_BYTES);
  }

  /** Starts `threads - 1` workers on the module and memory and resolves once all are ready. */
  static async start(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    layout: Layout,
    threads: number,
    exec: RunFn,
  ): Promise<ThreadPool> {
    const ctrl = new Int32Array(memory.buffer, layout.ctrlBase, 16);
    ctrl.fill(0);
    const url = new URL('./worker.js', import.meta.url);
    const workers: Worker[] = [];
    const ready: Promise<void>[] = [];
    for (let tid = 1; tid < threads; tid++) {
      const data: WorkerData = { module, memory, tid, layout, spinUs: WORKER_SPIN_US };
      // execArgv []: the parent's `-e` / `--input-type` would make the worker entry fail to load
      const w = new Worker(url, { workerData: data, execArgv: [] });
      workers.push(w);
      ready.push(
        new Promise((resolve, reject) => {
          w.once('message', () => resolve());
          w.once('error', reject);
          w.once('exit', (code) =>
            reject(new Error(`kernel worker ${tid} exited with code ${code} before it was ready`)),
          );
        }),
      );
    }
    try {
      await Promise.all(ready);
    } catch (err) {
      for (const w of workers) void w.terminate();
      throw err;
    }
    for (const w of workers) {
      w.removeAllListeners('exit');
      w.unref();
    }
    return new ThreadPool(memory, layout, exec, workers);
  }

  get size(): number {
    return this.workers.length + 1;
  }

  /** Runs `kernel` on min(nt, size) threads and returns when every share is done. */
  run(kernel: number, nt: number): void {
    const workers = this.workers.length;
    if (nt <= 1 || workers === 0) {
      this.exec(kernel, 0, 1);
      return;
    }
    if (this.disposed) throw new Error('thread pool: used after dispose()');
    const c = this.ctrl,
      n = Math.min(nt, workers + 1);
    c[CTRL.KERNEL] = kernel;
    c[CTRL.NT] = n;
    Atomics.store(c, CTRL.PENDING, workers);
    Atomics.add(c, CTRL.GEN, 1);
    Atomics.notify(c, CTRL.GEN);
    // A trap in the main share must not return before the workers are done with this job.
    let mainError: unknown = null;
    try {
      this.exec(kernel, 0, n);
    } catch (err) {
      mainError = err;
    }
    let spins = 0,
      deadline = 0;
    for (let p = Atomics.load(c, CTRL.PENDING); p !== 0; p = Atomics.load(c, CTRL.PENDING)) {
      if ((++spins & 255) !== 0) continue;
      const now = performance.now();
      if (deadline === 0) deadline = now + MAIN_SPIN_US / 1000;
      else if (now > deadline) Atomics.wait(c, CTRL.PENDING, p, MAIN_WAIT_SLICE_MS);
    }
    const errLen = c[CTRL.ERROR]!;
    if (mainError !== null) {
      c[CTRL.ERROR] = 0;
      throw mainError;
    }
    if (errLen !== 0) {
      c[CTRL.ERROR] = 0;
      const text = new TextDecoder().decode(this.errorText.slice(0, errLen));
      throw new Error(`kernel ${kernel} failed on a worker thread: ${text}`);
    }
  }

  /** Stops the workers (they also never keep the process alive: they are unref'd). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    Atomics.store(this.ctrl, CTRL.STOP, 1);
    Atomics.add(this.ctrl, CTRL.GEN, 1);
    Atomics.notify(this.ctrl, CTRL.GEN);
    for (const w of this.workers) void w.terminate();
  }
}
