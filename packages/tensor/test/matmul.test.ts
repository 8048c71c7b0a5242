import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { backends, expectClose, gradcheck, randomInput, randomTensor, rng } from './helpers.js';

const list = await backends();

/** Reference product in float64 from host arrays. */
function reference(a: ArrayLike<number>, b: ArrayLike<number>, M: number, K: number, N: number): number[] {
  const c: number[] = [];
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[i * K + k] * b[k * N + j];
      c.push(s);
    }
  return c;
}

describe.each(list)('matmul on %s', (_name, backend) => {
  const r = rng(21);

  it('multiplies a hand-checked product', async () => {
    const a = T.tensor(
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      { backend },
    );
    const b = T.tensor(
      [
        [7, 8, 9],
        [10, 11, 12],
      ],
      { backend },
    );
    expect(await T.matmul(a, b).toArray()).toEqual([
      [27, 30, 33],
      [61, 68, 75],
      [95, 106, 117],
    ]);
  });

  it('matches a float64 reference on sizes around the tiles', async () => {
    for (const [M, K, N] of [
      [1, 1, 1],
      [63, 65, 1],
      [1, 129, 63],
      [65, 127, 129],
      [129, 257, 67],
      [200, 64, 200],
      [3, 0, 4],
    ]) {
      const a = randomTensor(r, [M, K], backend);
      const b = randomTensor(r, [K, N], backend);
      expectClose(
        await T.matmul(a, b).data(),
        reference(await a.data(), await b.data(), M, K, N),
        1e-4,
        1e-5,
        `${M}x${K}x${N}`,
      );
    }
  });

  it('broadcasts batch dims and reads transposed operands through strides', async () => {
    const a = randomTensor(r, [2, 1, 33, 17], backend);
    const b = randomTensor(r, [3, 17, 70], backend);
    const c = T.matmul(a, b);
    expect(c.shape).toEqual([2, 3, 33, 70]);
    const [ac, bc] = [await a.to(T.cpuBackend), await b.to(T.cpuBackend)];
    expectClose(await c.data(), await T.matmul(ac, bc).data(), 1e-4, 1e-5);
    const av = await a.data();
    const bv = await b.data();
    // Batch (1, 2) uses a[1, 0] and b[2].
    expectClose(
      (await c.data()).slice((1 * 3 + 2) * 33 * 70, (1 * 3 + 3) * 33 * 70),
      reference(av.slice(33 * 17, 2 * 33 * 17), bv.slice(2 * 17 * 70, 3 * 17 * 70), 33, 17, 70),
      1e-4,
      1e-5,
    );
    const x = randomTensor(r, [70, 40], backend);
    const y = randomTensor(r, [50, 70], backend);
    const xt = T.transpose(x);
    const yt = T.transpose(y);
    const xc = await xt.contiguous().data();
    const yc = await yt.contiguous().data();
    expectClose(await T.matmul(xt, yt).data(), reference(xc, yc, 40, 70, 50), 1e-4, 1e-5);
  });

  it('promotes 1-D operands like torch.matmul', async () => {
    const v = T.tensor([1, 2, 3], { backend });
    const m = T.tensor(
      [
        [1, 0],
        [0, 1],
        [1, 1],
      ],
      { backend },
    );
    expect(await T.matmul(v, v).toArray()).toBe(14);
    expect(await T.matmul(v, m).toArray()).toEqual([4, 5]);
    expect(await T.matmul(T.transpose(m), v).toArray()).toEqual([4, 5]);
    const batched = T.matmul(T.ones([4, 2, 3], { backend }), v);
    expect(batched.shape).toEqual([4, 2]);
  });

  it('linear uses the PyTorch weight layout', async () => {
    const x = T.tensor([[1, 2]], { backend });
    const w = T.tensor(
      [
        [1, 0],
        [0, 1],
        [1, 1],
      ],
      { backend },
    );
    const bias = T.tensor([0.5, 0, -1], { backend });
    expect(await T.linear(x, w, bias).toArray()).toEqual([[1.5, 2, 2]]);
  });

  it('gradients match finite differences', async () => {
    const x = (shape: number[], lo?: number, hi?: number) => randomInput(r, shape, lo, hi);
    await gradcheck((a, b) => T.matmul(a, b), [x([3, 4]), x([4, 5])], backend);
    await gradcheck((a, b) => T.matmul(a, b), [x([2, 1, 3, 4]), x([3, 4, 2])], backend);
    await gradcheck((a, b) => T.matmul(T.transpose(a), b), [x([4, 3]), x([4, 2])], backend);
    await gradcheck((a, b) => T.matmul(a, b), [x([4]), x([4, 3])], backend);
    await gradcheck((a, w, b) => T.linear(a, w, b), [x([2, 3]), x([4, 3]), x([4])], backend);
  });

  it('names both shapes when they do not fit', () => {
    const a = T.zeros([2, 3], { backend });
    expect(() => T.matmul(a, T.zeros([4, 5], { backend }))).toThrow(
      /matmul: a \[2, 3\] and b \[4, 5\] do not fit \(a's last dim 3 must equal b's second-to-last dim 4\)/,
    );
    expect(() => T.matmul(T.zeros([2, 2, 3], { backend }), T.zeros([3, 3, 1], { backend }))).toThrow(
      T.ShapeError,
    );
    expect(() => T.matmul(a, T.zeros([3, 2], { backend, dtype: 'i32' }))).toThrow(
      /matmul: a and b must both be f32 or both f16, got f32 and i32/,
    );
  });
});
