// A Web Worker for Node, enough for jax-js's WebAssembly worker pool: Node 20 has `worker_threads`
// but no global `Worker`, and without one jax-js runs its wasm device on one thread. Importing this
// module defines `globalThis.Worker` where the runtime has none; it must run before jax-js is
// imported, which decides then whether its WebAssembly memory is shared. jax-js starts
// each worker from a `blob:` URL holding a classic script that uses `self.onmessage` and
// `postMessage`, and posts it a shared `WebAssembly.Memory` and compiled modules (both of which
// `worker_threads` messages carry).
import { resolveObjectURL } from 'node:buffer';
import { Worker as ThreadWorker } from 'node:worker_threads';

/** Runs first in each thread: the globals a Web Worker script expects. */
const PRELUDE = `
const { parentPort } = require('node:worker_threads');
globalThis.self = globalThis;
globalThis.postMessage = (data) => parentPort.postMessage(data);
parentPort.on('message', (data) => self.onmessage?.({ data }));
`;

/** The Web Worker subset jax-js uses: `new Worker(blobUrl)`, `onmessage`, `onerror`, `postMessage`, `terminate`. */
class NodeWebWorker {
  /** @type {((e: { data: unknown }) => void) | null} */
  onmessage = null;
  /** @type {((e: { message: string }) => void) | null} */
  onerror = null;
  #thread;
  #pending = [];
  #awaiting = 0;

  /** @param {string | URL} url a `blob:` URL of the worker's script */
  constructor(url) {
    const blob = resolveObjectURL(String(url));
    if (!blob) throw new Error(`Worker: only blob: URLs are supported here, got ${url}`);
    blob.text().then(
      (source) => this.#start(source),
      (e) => this.onerror?.({ message: String(e?.message ?? e) }),
    );
  }

  #start(source) {
    const thread = new ThreadWorker(`${PRELUDE}\n${source}`, { eval: true });
    thread.on('message', (data) => {
      if (--this.#awaiting === 0) thread.unref();
      this.onmessage?.({ data });
    });
    thread.on('error', (e) => this.onerror?.({ message: e.message }));
    if (this.#awaiting === 0) thread.unref();
    this.#thread = thread;
    for (const data of this.#pending) thread.postMessage(data);
    this.#pending = [];
  }

  postMessage(data) {
    // jax-js's workers answer every message once ('ready' or 'done'): a thread keeps the process
    // alive only while an answer is awaited, so an idle pool does not stop it from exiting.
    if (this.#awaiting++ === 0) this.#thread?.ref();
    if (this.#thread) this.#thread.postMessage(data);
    else this.#pending.push(data);
  }

  terminate() {
    this.#thread?.terminate();
  }
}

if (typeof globalThis.Worker === 'undefined') globalThis.Worker = NodeWebWorker;
