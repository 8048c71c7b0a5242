// Runs in Chromium: the same package, through navigator.gpu instead of Dawn-in-Node.
import * as T from '../../src/index.js';

declare global {
  interface Window {
    runTessera: () => Promise<Record<string, unknown>>;
  }
}

window.runTessera = async () => {
  const backend = await T.init({ backend: 'webgpu' });
  const a = T.tensor([
    [1, 2],
    [3, 4],
  ]);
  const [loss, [grad]] = T.valueAndGrad((x) => T.sum(T.square(T.matmul(x, x))))(a);
  const x = T.randn([64, 300], { generator: new T.Generator(3) });
  const probs = T.softmax(x, -1);
  const rowSums = await T.sum(probs, -1).data();
  const q = T.randn([1, 2, 9, 8], { generator: new T.Generator(4) });
  const fused = await T.scaledDotProductAttention(q, q, q, { causal: true }).data();
  const reference = await T.attentionReference(q, q, q, { causal: true }).data();
  return {
    backend: backend.name,
    description: backend.description,
    product: await T.matmul(a, a).toArray(),
    loss: await loss.item(),
    grad: await grad.toArray(),
    rowSumError: Math.max(...[...rowSums].map((s) => Math.abs(s - 1))),
    attentionError: Math.max(...[...fused].map((v, i) => Math.abs(v - reference[i]))),
  };
};
