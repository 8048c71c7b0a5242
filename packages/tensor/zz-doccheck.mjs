import * as T from './dist/index.js';

const backend = await T.init({ backend: 'auto' });
console.log(backend.name, backend.description);
const gen = new T.Generator(0);
const x = T.randn([64, 3], { generator: gen });
const y = T.matmul(x, T.tensor([[1], [-2], [0.5]])); // targets from a known linear map

const mse = (w) => T.mean(T.square(T.sub(T.matmul(x, w), y)));
const step = T.valueAndGrad(mse);

let w = T.zeros([3, 1]);
for (let i = 0; i <= 100; i++) {
  const [loss, next] = T.tidy(() => {
    const [loss, [gw]] = step(w);
    return [loss, T.sub(w, T.mul(gw, 0.1))];
  });
  if (i % 25 === 0) console.log(`step ${i}: loss ${(await loss.item()).toFixed(5)}`);
  loss.dispose();
  w.dispose();
  w = next;
}
console.log(await w.toArray());
console.log(T.memory(backend));

// getting started snippet
{
const x = T.randn([2, 3]);
const w = T.randn([3, 4]).requireGrad();
const loss = T.sum(T.relu(T.matmul(x, w)));
loss.backward();
console.log(backend.name, await loss.item(), await w.grad.toArray());
}
// deviations
console.log(await T.div(T.tensor([-7, 7], { dtype: 'i32' }), T.tensor([2, 2], { dtype: 'i32' })).toArray());
try { T.add(T.tensor([1], {dtype:'i32'}), T.tensor([1.5])); } catch (e) { console.log(e.name, e.message); }
const m = T.gt(T.tensor([1, 2, 3]), 1.5); console.log(m.dtype, await m.data());
try { const e = T.gather(T.tensor([1,2,3]), 0, T.tensor([5], {dtype:'i32'})); console.log('gather returned; reading…'); await e.data(); } catch (e) { console.log(e.name, e.message); }
