import { WORKER_SOURCE } from './worker-source.js';

const IDLE = 0;
const POSTED = 1;
const DONE = 2;
const EXIT = 3;
/** Compile and keep a generated kernel module: [state, bytes address, byte length, failed, kernel id]. */
const LOAD_KERNEL = 4;
/** Run a generated kernel: [state, argument block address, -, failed, kernel id]. */
const RUN_KERNEL = 5;
/** Bytes of control words per worker (16 ints: a cache line each, so workers do not share one). */
export const CONTROL_BYTES = 64;

/** The two kinds of worker this runs on: Node's worker_threads and the browser's Worker. */
interface AnyWorker {
  postMessage(m: unknown): void;
  terminate(): unknown;
}

/**
 * Threads over one shared WebAssembly memory: `run` hands each worker a slice of a call table,
 * runs the first slice on the calling thread and blocks (Atomics.wait) until every worker is done.
 * So it needs a thread that may block: a Node thread or a browser worker, never a page's main thread.
 */
export class WorkerPool {
  private readonly words: Int32Array[];

  private constructor(
    private readonly workers: AnyWorker[],
    memory: WebAssembly.Memory,
    ctrl: number,
  ) {
    this.words = workers.map((_, i) => new Int32Array(memory.buffer, ctrl + i * CONTROL_BYTES, 5));
  }

  /** Threads in all, counting the calling one. */
  get threads(): number {
    return this.workers.length + 1;
  }

  /**
   * Starts `threads - 1` workers on `module` over `memory`, their control words at `ctrl`
   * (CONTROL_BYTES each, never freed). Resolves when all have instantiated the module.
   */
  static async start(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    ctrl: number,
    threads: number,
  ): Promise<WorkerPool> {
    const spawn = await workerFactory();
    const workers = await Promise.all(
      Array.from({ length: threads - 1 }, (_, i) =>
        spawn({ module, memory, ctrl: ctrl + i * CONTROL_BYTES }),
      ),
    );
    return new WorkerPool(workers, memory, ctrl);
  }

  /**
   * Runs `slices[0]` with `runHere` and each further slice `[table, count]` on a worker, returning
   * when all are done. Slices beyond the pool's threads are an error.
   */
  run(slices: [number, number][], runHere: (table: number, count: number) => void): void {
    this.dispatch(
      POSTED,
      slices.slice(1).map(([table, count]) => [table, count, 0]),
      () => runHere(slices[0][0], slices[0][1]),
    );
  }

  /**
   * Has every worker compile the generated kernel module whose `length` bytes are at `bytes` in
   * the shared memory and keep it as kernel `id`, for {@link runKernel}.
   */
  loadKernel(bytes: number, length: number, id: number): void {
    this.dispatch(
      LOAD_KERNEL,
      this.words.map(() => [bytes, length, id]),
      () => {},
    );
  }

  /** Runs kernel `id` on argument block `args[0]` here and on `args[i]` on worker i − 1, returning when all are done. */
  runKernel(id: number, args: number[], runHere: (args: number) => void): void {
    this.dispatch(
      RUN_KERNEL,
      args.slice(1).map((a) => [a, 0, id]),
      () => runHere(args[0]),
    );
  }

  /** Posts `state` with words 1, 2 and 4 set to `work[i]` to worker i, runs `here`, and waits for those workers. */
  private dispatch(state: number, work: [number, number, number][], here: () => void): void {
    if (work.length > this.workers.length)
      throw new Error(`WorkerPool: ${work.length + 1} parts for ${this.threads} threads`);
    for (const [i, [a, b, id]] of work.entries()) {
      const w = this.words[i];
      w[1] = a;
      w[2] = b;
      w[4] = id;
      Atomics.store(w, 0, state);
      Atomics.notify(w, 0);
    }
    let failed = false;
    try {
      here();
    } finally {
      // Wait for every worker even when this thread's part threw: the next call reuses the memory.
      for (let i = 0; i < work.length; i++) {
        const w = this.words[i];
        while (Atomics.load(w, 0) !== DONE) Atomics.wait(w, 0, state);
        failed ||= w[3] !== 0;
        Atomics.store(w, 0, IDLE);
      }
    }
    if (failed) throw new Error('a WebAssembly kernel trapped in a worker thread');
  }

  /** Stops the workers. */
  close(): void {
    for (const w of this.words) {
      Atomics.store(w, 0, EXIT);
      Atomics.notify(w, 0);
    }
    for (const w of this.workers) w.terminate();
  }
}

type Spawn = (init: {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctrl: number;
}) => Promise<AnyWorker>;

/** How to start a worker here: worker_threads in Node, a Blob-URL Worker in browsers. */
async function workerFactory(): Promise<Spawn> {
  if (typeof process !== 'undefined' && process.versions?.node) {
    // A variable specifier keeps browser bundlers from resolving Node's module.
    const specifier = 'node:worker_threads';
    const { Worker } = (await import(/* @vite-ignore */ specifier)) as typeof import('node:worker_threads');
    return (init) =>
      new Promise((resolve, reject) => {
        const w = new Worker(WORKER_SOURCE, { eval: true });
        // Idle workers must not keep the process alive.
        w.unref();
        w.once('error', reject);
        w.once('message', () => resolve(w));
        w.postMessage(init);
      });
  }
  const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  return (init) =>
    new Promise((resolve, reject) => {
      const w = new Worker(url);
      w.onerror = (e) => reject(new Error(e.message));
      w.onmessage = () => resolve(w);
      w.postMessage(init);
    });
}
