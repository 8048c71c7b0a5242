// The example of this package's README: `npx tsx`-free, it runs as a test (test/examples.test.ts).
import * as T from '../src/index.js';

export async function basics(): Promise<{ backend: string; loss: number; grad: number[] }> {
  const backend = await T.init({ backend: 'auto' }); // WebGPU when there is an adapter, else WebAssembly
  const gen = new T.Generator(0);

  const w = T.randn([4, 3], { generator: gen }).requireGrad();
  const x = T.randn([8, 3], { generator: gen });
  const target = T.tensor([0, 1, 2, 3, 0, 1, 2, 3], { dtype: 'i32' });

  // Everything made inside tidy is freed when it returns, except what it returns.
  const loss = T.tidy(() => {
    const logits = T.matmul(x, T.transpose(w)); // [8, 4]
    const l = T.crossEntropy(logits, target);
    l.backward(); // fills w.grad
    return l;
  });

  const result = { backend: backend.name, loss: await loss.item(), grad: [...(await w.grad!.data())] };
  for (const t of [loss, w, x, target]) t.dispose();
  return result;
}
