import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { backends, expectClose, gradcheck, randomInput, randomTensor, rng } from './helpers.js';

const list = await backends();
type Fn = (x: T.Tensor, ...a: unknown[]) => T.Tensor;
const ops = T as unknown as Record<string, Fn>;

describe.each(list)('reductions and row ops on %s', (_name, backend) => {
  const r = rng(11);
  // Rows of 1, 255, 257 and 1000 straddle the 256-thread workgroup.
  const shapes: [number[], number | number[]][] = [
    [[3, 1], 1],
    [[2, 255], -1],
    [[257, 3], 0],
    [[1000], 0],
    [
      [4, 5, 6],
      [0, 2],
    ],
    [
      [2, 3, 4, 5],
      [1, 3],
    ],
    [
      [7, 9],
      [0, 1],
    ],
  ];

  it('sum, max, min, mean over any axes with keepdim match the CPU reference', async () => {
    for (const [shape, axes] of shapes) {
      const x = randomTensor(r, shape, backend);
      const xc = await x.to(T.cpuBackend);
      for (const op of ['sum', 'max', 'min', 'mean']) {
        for (const keepdim of [false, true]) {
          const got = ops[op](x, axes, keepdim);
          const want = ops[op](xc, axes, keepdim);
          expect(got.shape).toEqual(want.shape);
          expectClose(
            await got.data(),
            await want.data(),
            1e-4,
            1e-5,
            `${op} ${JSON.stringify(shape)} ${axes}`,
          );
        }
      }
    }
  });

  it('reduces strided views and integer tensors', async () => {
    const x = T.transpose(randomTensor(r, [33, 70], backend));
    const xc = await x.to(T.cpuBackend);
    expectClose(await T.sum(x, 1).data(), await T.sum(xc, 1).data(), 1e-4, 1e-5);
    const i = randomTensor(r, [5, 300], backend, { lo: -50, hi: 50, dtype: 'i32' });
    const ic = await i.to(T.cpuBackend);
    for (const op of ['sum', 'max', 'min'])
      expect([...(await ops[op](i, 1).data())]).toEqual([...(await ops[op](ic, 1).data())]);
    expect(await T.sum(T.tensor([1, 2, 3], { backend })).item()).toBe(6);
  });

  it('argmax and argmin return the first extremum, like PyTorch', async () => {
    const x = T.tensor(
      [
        [1, 5, 5, 0],
        [2, 2, -1, -1],
      ],
      { backend },
    );
    expect([...(await T.argmax(x, 1).data())]).toEqual([1, 0]);
    expect([...(await T.argmin(x, 1).data())]).toEqual([3, 2]);
    expect(await T.argmax(x).item()).toBe(1);
    expect(T.argmax(x, 0, true).shape).toEqual([1, 4]);
    for (const [shape] of shapes) {
      const y = randomTensor(r, shape, backend);
      const yc = await y.to(T.cpuBackend);
      for (const axis of [0, -1]) {
        expect([...(await T.argmax(y, axis).data())]).toEqual([...(await T.argmax(yc, axis).data())]);
        expect([...(await T.argmin(y, axis).data())]).toEqual([...(await T.argmin(yc, axis).data())]);
      }
    }
  });

  it('softmax, logSoftmax, cumsum, logsumexp, variance along any axis match the CPU reference', async () => {
    for (const [shape] of shapes) {
      const x = randomTensor(r, shape, backend, { lo: -5, hi: 5 });
      const xc = await x.to(T.cpuBackend);
      for (const axis of [0, -1]) {
        for (const op of ['softmax', 'logSoftmax', 'cumsum', 'logsumexp']) {
          expectClose(
            await ops[op](x, axis).data(),
            await ops[op](xc, axis).data(),
            1e-4,
            1e-4,
            `${op} ${shape} ${axis}`,
          );
        }
        if (x.shape.at(axis)! > 1)
          expectClose(await T.variance(x, axis).data(), await T.variance(xc, axis).data(), 1e-4, 1e-5);
      }
    }
    const s = await T.softmax(T.tensor([1, 2, 3], { backend })).data();
    const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
    const z = e[0] + e[1] + e[2];
    expectClose(
      s,
      e.map((v) => v / z),
      1e-6,
      1e-7,
    );
    expectClose(
      await T.cumsum(
        T.tensor(
          [
            [1, 2],
            [3, 4],
          ],
          { backend },
        ),
        0,
      ).data(),
      [1, 2, 4, 6],
      0,
      0,
    );
    expectClose(await T.variance(T.tensor([1, 2, 3, 4], { backend })).data(), [5 / 3], 1e-6, 1e-7);
    expectClose(
      await T.std(T.tensor([1, 2, 3, 4], { backend }), undefined, { correction: 0 }).data(),
      [Math.sqrt(1.25)],
      1e-6,
      1e-7,
    );
  });

  it('layerNorm and rmsNorm match the CPU reference, with and without affine', async () => {
    for (const shape of [
      [3, 1],
      [2, 255],
      [4, 257],
      [2, 3, 20],
    ]) {
      const x = randomTensor(r, shape, backend, { lo: -3, hi: 3 });
      const xc = await x.to(T.cpuBackend);
      const n = shape.at(-1)!;
      const w = randomTensor(r, [n], backend);
      const b = randomTensor(r, [n], backend);
      const [wc, bc] = [await w.to(T.cpuBackend), await b.to(T.cpuBackend)];
      expectClose(
        await T.layerNorm(x, [n], w, b).data(),
        await T.layerNorm(xc, [n], wc, bc).data(),
        1e-4,
        1e-4,
      );
      expectClose(await T.rmsNorm(x, [n], w).data(), await T.rmsNorm(xc, [n], wc).data(), 1e-4, 1e-4);
      expectClose(await T.layerNorm(x, [n]).data(), await T.layerNorm(xc, [n]).data(), 1e-4, 1e-4);
    }
    const y = await T.layerNorm(T.tensor([[1, 2, 3]], { backend }), [3]).data();
    expectClose(y, [-1.2247357, 0, 1.2247357], 1e-5, 1e-6);
  });

  it('crossEntropy matches a hand computation, with ignore index and label smoothing', async () => {
    const logits = T.tensor(
      [
        [2, 1, 0],
        [0, 0, 3],
        [1, 1, 1],
      ],
      { backend },
    );
    const target = T.tensor([0, 2, -100], { dtype: 'i32', backend });
    const lse = (v: number[]) => Math.log(v.reduce((s, x) => s + Math.exp(x), 0));
    const l0 = lse([2, 1, 0]) - 2;
    const l1 = lse([0, 0, 3]) - 3;
    expectClose(await T.crossEntropy(logits, target).data(), [(l0 + l1) / 2], 1e-5, 1e-6);
    expectClose(await T.crossEntropy(logits, target, { reduction: 'none' }).data(), [l0, l1, 0], 1e-5, 1e-6);
    const eps = 0.1;
    const smooth = (row: number[], t: number) => {
      const lp = row.map((v) => v - lse(row));
      return (1 - eps) * -lp[t] + eps * -(lp.reduce((a, b) => a + b, 0) / 3);
    };
    expectClose(
      await T.crossEntropy(logits, target, { labelSmoothing: eps, reduction: 'sum' }).data(),
      [smooth([2, 1, 0], 0) + smooth([0, 0, 3], 2)],
      1e-5,
      1e-6,
    );
  });

  it('gradients match finite differences', async () => {
    const x = (shape: number[], lo?: number, hi?: number) => randomInput(r, shape, lo, hi);
    await gradcheck((t) => T.sum(t, [0, 2]), [x([2, 3, 4])], backend);
    await gradcheck((t) => T.max(t, 1), [x([3, 5])], backend);
    await gradcheck((t) => T.min(t, 0, true), [x([3, 5])], backend);
    await gradcheck((t) => T.mean(t, -1), [x([3, 5])], backend);
    await gradcheck((t) => T.variance(t, 1), [x([3, 5])], backend);
    await gradcheck((t) => T.logsumexp(t, 1), [x([3, 5])], backend);
    await gradcheck((t) => T.cumsum(t, 1), [x([3, 5])], backend);
    await gradcheck((t) => T.softmax(t, 0), [x([4, 3])], backend);
    await gradcheck((t) => T.logSoftmax(t, -1), [x([3, 4])], backend);
    await gradcheck((t, w, b) => T.layerNorm(t, [4], w, b), [x([3, 4]), x([4]), x([4])], backend, {
      rtol: 3e-2,
      atol: 5e-3,
    });
    await gradcheck((t, w) => T.rmsNorm(t, [2, 3], w), [x([2, 2, 3]), x([2, 3])], backend, {
      rtol: 3e-2,
      atol: 5e-3,
    });
    // Finite differences run on the CPU, so the target lives on whichever backend the logits do.
    const targets = new Map(
      [backend, T.cpuBackend].map((b) => [b, T.tensor([1, -100, 0, 2], { dtype: 'i32', backend: b })]),
    );
    await gradcheck(
      (t) => T.crossEntropy(t, targets.get(t.backend)!, { labelSmoothing: 0.1 }),
      [x([4, 3])],
      backend,
    );
  });

  it('rejects bad input with clear errors', () => {
    const x = T.zeros([2, 3], { backend });
    expect(() => T.softmax(x, 2)).toThrow(/softmax: axis 2 is out of range for a tensor of rank 2/);
    expect(() => T.softmax(T.zeros([2], { backend, dtype: 'i32' }))).toThrow(
      /softmax: input must have dtype f32 or f16, got i32/,
    );
    expect(() => T.layerNorm(x, [2])).toThrow(
      /normalizedShape \[2\] must be the trailing dims of the input \[2, 3\]/,
    );
    expect(() => T.crossEntropy(x, T.zeros([3], { backend, dtype: 'i32' }))).toThrow(
      /target shape \[3\] must equal/,
    );
    expect(() => T.crossEntropy(x, T.zeros([2], { backend }))).toThrow(/target must have dtype i32, got f32/);
    expect(() => T.max(T.zeros([0, 2], { backend }), 0)).toThrow(/empty dimension/);
  });
});
