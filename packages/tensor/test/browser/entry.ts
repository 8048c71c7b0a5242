// Runs in Chromium: the same package, through navigator.gpu instead of Dawn-in-Node.
import * as T from '../../src/index.js';

declare global {
  interface Window {
    runTessera: () => Promise<Record<string, unknown>>;
    runWasmWorker: () => Promise<Record<string, unknown>>;
  }
}

/** The WebAssembly backend inside a dedicated worker (browser/wasm-worker.ts): its result. */
window.runWasmWorker = () =>
  new Promise((resolve, reject) => {
    const worker = new Worker('/wasm-worker.js', { type: 'module' });
    worker.onmessage = (e) => resolve(e.data);
    worker.onerror = (e) => reject(new Error(e.message));
    worker.postMessage(null);
  });

window.runTessera = async () => {
  const backend = await T.init({ backend: 'webgpu' });
  const a = T.tensor([
    [1, 2],
    [3, 4],
  ]);
  const [loss, [grad]] = T.valueAndGrad((x) => T.sum(T.square(T.matmul(x, x))))(a);
  const x = T.randn([64, 300], { generator: new T.Generator(3) });
  const probs = T.softmax(x, -1);
  const probsCpu = await T.softmax(await x.to(T.cpuBackend), -1).data();
  const rowSums = await T.sum(probs, -1).data();
  const q = T.randn([1, 2, 9, 8], { generator: new T.Generator(4) });
  const fused = await T.scaledDotProductAttention(q, q, q, { causal: true }).data();
  const reference = await T.attentionReference(q, q, q, { causal: true }).data();
  // The WebAssembly backend in the page (single-threaded: a page's main thread may not block).
  const wasm = await T.createWasmBackend();
  const xw = await x.to(wasm);
  const wasmProbs = await T.softmax(xw, -1).data();
  const wasmProduct = await T.matmul(xw, T.transpose(xw)).data();
  const cpuProduct = await T.matmul(await x.to(T.cpuBackend), T.transpose(await x.to(T.cpuBackend))).data();
  // An elementwise kernel generated as WebAssembly (or, where the page may not compile it
  // synchronously, the JavaScript one until it has compiled), twice.
  const geluCpu = await T.gelu(await x.to(T.cpuBackend)).data();
  const wasmGelu = [await T.gelu(xw).data(), await T.gelu(xw).data()];
  return {
    wasmDescription: wasm.description,
    wasmSoftmaxError: Math.max(...[...wasmProbs].map((v, i) => Math.abs(v - probsCpu[i]))),
    wasmMatmulError: Math.max(...[...wasmProduct].map((v, i) => Math.abs(v - cpuProduct[i]))),
    wasmGeluError: Math.max(
      ...wasmGelu.flatMap((g) =>
        [...g].map((v, i) => Math.abs(v - geluCpu[i]) / Math.max(Math.abs(geluCpu[i]), 1e-30)),
      ),
    ),
    backend: backend.name,
    description: backend.description,
    product: await T.matmul(a, a).toArray(),
    loss: await loss.item(),
    grad: await grad.toArray(),
    rowSumError: Math.max(...[...rowSums].map((s) => Math.abs(s - 1))),
    attentionError: Math.max(...[...fused].map((v, i) => Math.abs(v - reference[i]))),
  };
};
