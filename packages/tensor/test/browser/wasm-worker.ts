// Runs in a dedicated worker of a cross-origin-isolated page, where the WebAssembly backend may
// start worker threads of its own (a worker may block in Atomics.wait; the page may not).
import * as T from '../../src/index.js';

self.onmessage = async () => {
  const wasm = await T.createWasmBackend();
  const gen = new T.Generator(5);
  // ~30 MFLOP: enough to be split between threads.
  const a = T.randn([200, 300], { backend: wasm, generator: gen });
  const b = T.randn([300, 250], { backend: wasm, generator: gen });
  const got = await T.matmul(a, b).data();
  const want = await T.matmul(await a.to(T.cpuBackend), await b.to(T.cpuBackend)).data();
  // A generated elementwise kernel, split between the threads (each compiles its own instance).
  const c = T.randn([600, 300], { backend: wasm, generator: gen });
  const e = await T.exp(c).data();
  const eCpu = await T.exp(await c.to(T.cpuBackend)).data();
  self.postMessage({
    description: wasm.description,
    threads: wasm.threads,
    matmulError: Math.max(...[...got].map((v, i) => Math.abs(v - want[i]))),
    expError: Array.from(e).reduce((worst, v, i) => Math.max(worst, Math.abs(v - eCpu[i]) / eCpu[i]), 0),
  });
  wasm.close();
};
