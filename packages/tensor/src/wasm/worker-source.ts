/**
 * The source of a kernel worker (run as a Node worker_threads eval worker or a browser Worker from a
 * Blob URL). It instantiates the threaded module on the shared memory it is sent, says it is ready,
 * then loops: wait on its control word for work, run the call table it names, mark it done.
 *
 * Control words (Int32, at `ctrl` in the shared memory): [state, table address, record count,
 * failed, kernel id]; state 0 = idle, 1 = work posted, 2 = done (failed = 1 if the call trapped),
 * 3 = exit, 4 = compile the generated kernel module at [address, length] as kernel id, 5 = run
 * generated kernel id on the argument block at address (its imports: src/wasm/jit/routines.ts).
 */
export const WORKER_SOURCE = `
const start = (post, { module, memory, ctrl }) => {
  const { exports } = new WebAssembly.Instance(module, { env: { memory } });
  const words = new Int32Array(memory.buffer, ctrl, 5);
  const kernels = [];
  post('ready');
  for (;;) {
    Atomics.wait(words, 0, 0);
    const state = Atomics.load(words, 0);
    if (state === 3) return;
    if (state !== 1 && state !== 4 && state !== 5) continue;
    try {
      words[3] = 0;
      if (state === 1) exports.run_calls(words[1], words[2]);
      else if (state === 5) kernels[words[4]](words[1]);
      else {
        // A copy: modules compile from ordinary memory, not shared.
        const bytes = new Uint8Array(memory.buffer, words[1], words[2]).slice();
        const env = { memory, sin: Math.sin, cos: Math.cos, tan: Math.tan, fmod: (a, b) => a % b };
        kernels[words[4]] = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env }).exports.map;
      }
    } catch {
      words[3] = 1;
    } finally {
      Atomics.store(words, 0, 2);
      Atomics.notify(words, 0);
    }
  }
};
if (typeof require === 'function') {
  const { parentPort } = require('node:worker_threads');
  parentPort.once('message', (m) => start((x) => parentPort.postMessage(x), m));
} else {
  self.onmessage = (e) => start((x) => self.postMessage(x), e.data);
}
`;
