/**
 * The source of a kernel worker (run as a Node worker_threads eval worker or a browser Worker from a
 * Blob URL). It instantiates the threaded module on the shared memory it is sent, says it is ready,
 * then loops: wait on its control word for work, run the call table it names, mark it done.
 *
 * Control words (Int32, at `ctrl` in the shared memory): [state, table address, record count,
 * failed]; state 0 = idle, 1 = work posted, 2 = done (failed = 1 if the call trapped), 3 = exit.
 */
export const WORKER_SOURCE = `
const start = (post, { module, memory, ctrl }) => {
  const { exports } = new WebAssembly.Instance(module, { env: { memory } });
  const words = new Int32Array(memory.buffer, ctrl, 4);
  post('ready');
  for (;;) {
    Atomics.wait(words, 0, 0);
    const state = Atomics.load(words, 0);
    if (state === 3) return;
    if (state !== 1) continue;
    try {
      words[3] = 0;
      exports.run_calls(words[1], words[2]);
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
