import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { backends, expectClose, gradcheck, randomInput, randomTensor, rng } from './helpers.js';

const list = await backends();

describe.each(list)('indexing and sorting on %s', (_name, backend) => {
  const r = rng(31);
  const ints = (values: T.NestedArray, shape?: number[]) =>
    T.tensor(values, { dtype: 'i32', shape, backend });
  const randInts = (n: number, hi: number) => Array.from({ length: n }, () => Math.floor(r() * hi));

  it('gather and scatterAdd follow torch semantics', async () => {
    const x = T.tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { backend },
    );
    expect(
      await T.gather(
        x,
        1,
        ints(
          [
            [2, 0],
            [1, 1],
          ],
          [2, 2],
        ),
      ).toArray(),
    ).toEqual([
      [3, 1],
      [5, 5],
    ]);
    expect(await T.gather(x, 0, ints([[1, 0, 1]], [1, 3])).toArray()).toEqual([[4, 2, 6]]);
    const z = T.zeros([2, 3], { backend });
    const src = T.tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { backend },
    );
    // Repeated indices accumulate.
    expect(
      await T.scatterAdd(
        z,
        1,
        ints(
          [
            [0, 0],
            [2, 1],
          ],
          [2, 2],
        ),
        src,
      ).toArray(),
    ).toEqual([
      [3, 0, 0],
      [0, 4, 3],
    ]);
    const zi = T.zeros([4], { backend, dtype: 'i32' });
    expect(await T.scatterAdd(zi, 0, ints([1, 1, 3]), ints([5, 6, 7])).toArray()).toEqual([0, 11, 0, 7]);
  });

  it('indexSelect, indexAdd, embedding and oneHot', async () => {
    const x = T.tensor(
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      { backend },
    );
    expect(await T.indexSelect(x, 0, ints([2, 0, 2])).toArray()).toEqual([
      [5, 6],
      [1, 2],
      [5, 6],
    ]);
    expect(await T.indexSelect(x, 1, ints([1])).toArray()).toEqual([[2], [4], [6]]);
    const acc = T.indexAdd(T.zeros([3, 2], { backend }), 0, ints([0, 0, 2]), T.ones([3, 2], { backend }));
    expect(await acc.toArray()).toEqual([
      [2, 2],
      [0, 0],
      [1, 1],
    ]);
    const e = T.embedding(
      x,
      ints(
        [
          [0, 1],
          [2, 2],
        ],
        [2, 2],
      ),
    );
    expect(e.shape).toEqual([2, 2, 2]);
    expect(await e.toArray()).toEqual([
      [
        [1, 2],
        [3, 4],
      ],
      [
        [5, 6],
        [5, 6],
      ],
    ]);
    expect(await T.oneHot(ints([2, 0]), 3).toArray()).toEqual([
      [0, 0, 1],
      [1, 0, 0],
    ]);
  });

  it('matches the CPU reference on random shapes larger than a workgroup', async () => {
    for (const [rows, cols] of [
      [3, 1],
      [5, 257],
      [300, 7],
    ]) {
      const x = randomTensor(r, [rows, cols], backend);
      const xc = await x.to(T.cpuBackend);
      const idx = ints(randInts(rows * 4, cols), [rows, 4]);
      const ic = await idx.to(T.cpuBackend);
      expectClose(await T.gather(x, 1, idx).data(), await T.gather(xc, 1, ic).data(), 0, 0);
      const src = randomTensor(r, [rows, 4], backend);
      const sc = await src.to(T.cpuBackend);
      expectClose(
        await T.scatterAdd(x, 1, idx, src).data(),
        await T.scatterAdd(xc, 1, ic, sc).data(),
        1e-5,
        1e-6,
      );
      const sel = ints(randInts(600, rows));
      const selc = await sel.to(T.cpuBackend);
      expectClose(await T.indexSelect(x, 0, sel).data(), await T.indexSelect(xc, 0, selc).data(), 0, 0);
      const add = randomTensor(r, [600, cols], backend);
      expectClose(
        await T.indexAdd(x, 0, sel, add).data(),
        await T.indexAdd(xc, 0, selc, await add.to(T.cpuBackend)).data(),
        1e-4,
        1e-5,
      );
    }
  });

  it('sort, argsort and topk are stable and match the CPU reference', async () => {
    const x = T.tensor(
      [
        [3, 1, 2, 1],
        [0, 5, 5, -1],
      ],
      { backend },
    );
    expect(await T.argsort(x).toArray()).toEqual([
      [1, 3, 2, 0],
      [3, 0, 1, 2],
    ]);
    expect(await T.argsort(x, -1, true).toArray()).toEqual([
      [0, 2, 1, 3],
      [1, 2, 0, 3],
    ]);
    const { values, indices } = T.topk(x, 2);
    expect(await values.toArray()).toEqual([
      [3, 2],
      [5, 5],
    ]);
    expect(await indices.toArray()).toEqual([
      [0, 2],
      [1, 2],
    ]);
    expect(await T.sort(x, 0).values.toArray()).toEqual([
      [0, 1, 2, -1],
      [3, 5, 5, 1],
    ]);
    for (const shape of [
      [2, 300],
      [257, 3],
    ]) {
      // Few distinct values, so ties are common.
      const y = T.tensor(randInts(shape[0] * shape[1], 20), { shape, backend });
      const yc = await y.to(T.cpuBackend);
      for (const axis of [0, 1]) {
        for (const desc of [false, true]) {
          expect([...(await T.argsort(y, axis, desc).data())]).toEqual([
            ...(await T.argsort(yc, axis, desc).data()),
          ]);
        }
      }
    }
  });

  it('gradients match finite differences', async () => {
    const x = (shape: number[], lo?: number, hi?: number) => randomInput(r, shape, lo, hi);
    // Finite differences run on the CPU, so index tensors follow the data's backend.
    const on = (t: T.Tensor, values: number[], shape?: number[]) =>
      T.tensor(values, { dtype: 'i32', shape, backend: t.backend });
    await gradcheck((t) => T.gather(t, 1, on(t, [0, 2, 2, 1, 0, 0], [2, 3])), [x([2, 4])], backend);
    await gradcheck(
      (t, s) => T.scatterAdd(t, 0, on(t, [1, 0, 1], [1, 3]), s),
      [x([2, 3]), x([2, 3])],
      backend,
    );
    await gradcheck((t) => T.indexSelect(t, 0, on(t, [2, 0, 2])), [x([3, 2])], backend);
    await gradcheck((t, s) => T.indexAdd(t, 1, on(t, [1, 1]), s), [x([2, 3]), x([2, 2])], backend);
    await gradcheck((w) => T.embedding(w, on(w, [0, 3, 3, 1], [2, 2])), [x([4, 3])], backend);
    // Sorting is piecewise linear: keep values further apart than the finite-difference step.
    const spaced = (shape: number[]) => {
      const n = shape.reduce((p, q) => p * q, 1);
      const perm = Array.from({ length: n }, (_, i) => i).sort(() => r() - 0.5);
      return { shape, data: perm.map((v) => v * 0.1 - 1) };
    };
    await gradcheck((t) => T.sort(t, -1, true).values, [spaced([3, 5])], backend);
    await gradcheck((t) => T.topk(t, 2, 0).values, [spaced([4, 3])], backend);
  });

  it('rejects bad indices with clear errors', async () => {
    const x = T.zeros([2, 3], { backend });
    expect(() => T.gather(x, 1, T.zeros([2, 1], { backend }))).toThrow(
      /gather: index must have dtype i32, got f32/,
    );
    expect(() => T.gather(x, 1, ints([0, 1]))).toThrow(
      /gather: index \[2\] must have the rank of input \[2, 3\]/,
    );
    expect(() => T.indexSelect(x, 0, ints([0], [1, 1]))).toThrow(
      /index_select: index must have rank 1, got shape \[1, 1\]/,
    );
    expect(() => T.topk(x, 4)).toThrow(/topk: k must be an integer in \[0, 3\]/);
    if (backend.name === 'cpu') {
      expect(() => T.gather(x, 1, ints([[0], [3]], [2, 1]))).toThrow(
        /gather: index 3 is out of range for a dimension of size 3/,
      );
      expect(() => T.oneHot(ints([-1]), 3)).toThrow(T.IndexError);
    } else {
      // A GPU kernel cannot throw: the fault surfaces at the next read, and the backend keeps working.
      const bad = T.gather(x, 1, ints([[0], [3]], [2, 1]));
      await expect(bad.data()).rejects.toThrow(/index 3 for a dimension of size 3/);
      expect(await T.gather(x, 1, ints([[0], [2]], [2, 1])).toArray()).toEqual([[0], [0]]);
      T.indexSelect(x, 0, ints([7]));
      await expect(backend.sync()).rejects.toThrow(T.IndexError);
    }
  });
});
