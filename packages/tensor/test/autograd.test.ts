import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { backends, gradcheck, randomInput, rng } from './helpers.js';

const list = await backends();

describe.each(list)('gradients of elementwise and movement ops on %s', (_name, backend) => {
  const r = rng(3);
  const x = (shape: number[], lo?: number, hi?: number) => randomInput(r, shape, lo, hi);

  // Where each op is smooth; the rounding ops are piecewise constant (coverage.test.ts checks them
  // away from their jumps).
  const DOMAIN: Partial<Record<T.UnaryOp, [number, number]>> = {
    log: [0.5, 2],
    sqrt: [0.5, 2],
    rsqrt: [0.5, 2],
    log2: [0.5, 2],
    reciprocal: [0.5, 2],
    log1p: [-0.5, 2],
    asin: [-0.9, 0.9],
    acos: [-0.9, 0.9],
    tan: [-1.2, 1.2],
  };
  const PIECEWISE = ['sign', 'floor', 'ceil', 'round', 'trunc'];
  for (const op of T.UNARY_OPS.filter((o) => !PIECEWISE.includes(o))) {
    it(`d ${op}`, async () => {
      const [lo, hi] = DOMAIN[op] ?? [-2, 2];
      const input = x([3, 4], lo, hi);
      // relu/abs have a kink at 0: keep samples away from it.
      if (op === 'relu' || op === 'abs')
        input.data = input.data.map((v) => (Math.abs(v) < 0.1 ? v + 0.3 : v));
      await gradcheck(
        (t) => (T as unknown as Record<string, (a: T.Tensor) => T.Tensor>)[op](t),
        [input],
        backend,
      );
    });
  }
  for (const op of T.BINARY_OPS) {
    it(`d ${op} with broadcasting`, async () => {
      const a = x([2, 3], 0.5, 2);
      const b = x([3], 0.5, 2);
      if (op === 'maximum' || op === 'minimum') b.data = b.data.map((v) => v + 0.05);
      await gradcheck(
        (p, q) => (T as unknown as Record<string, (a: T.Tensor, b: T.Tensor) => T.Tensor>)[op](p, q),
        [a, b],
        backend,
      );
    });
  }
  it('d where', async () => {
    // Finite differences run on the CPU, so the condition lives on whichever backend the operands do.
    const conds = new Map(
      [backend, T.cpuBackend].map((b) => [
        b,
        T.tensor([1, 0, 1, 0, 0, 1], { dtype: 'u8', shape: [2, 3], backend: b }),
      ]),
    );
    await gradcheck((p, q) => T.where(conds.get(p.backend)!, p, q), [x([2, 3]), x([1, 3])], backend);
  });
  it('d reshape, permute, transpose, expand, slice, concat, stack, pad, split', async () => {
    await gradcheck((t) => T.reshape(T.permute(t, [2, 0, 1]), [4, -1]), [x([2, 3, 4])], backend);
    await gradcheck((t) => T.mul(T.expand(t, [2, 3, 4]), 2), [x([3, 1])], backend);
    await gradcheck(
      (t) =>
        T.slice(t, [
          { start: 1, step: 2 },
          { start: -3, end: 5 },
        ]),
      [x([5, 6])],
      backend,
    );
    await gradcheck((t) => T.slice(t, [1]), [x([3, 2])], backend);
    await gradcheck((p, q) => T.concat([p, q, p], 1), [x([2, 3]), x([2, 1])], backend);
    await gradcheck((p, q) => T.stack([p, q], -1), [x([2, 3]), x([2, 3])], backend);
    await gradcheck(
      (t) =>
        T.pad(
          t,
          [
            [1, 2],
            [0, 1],
          ],
          5,
        ),
      [x([2, 3])],
      backend,
    );
    await gradcheck((t) => T.mul(T.split(t, [1, 2], 1)[1], T.split(t, 2, 1)[0]), [x([2, 3])], backend);
    await gradcheck((t) => T.clone(T.transpose(t)), [x([2, 3])], backend);
    await gradcheck(
      (t) => T.apply('unslice', [t], { starts: [1, 0], steps: [2, 3], shape: [5, 7] }),
      [x([2, 3])],
      backend,
    );
  });
  it('accumulates over two backward calls and reuses a tensor twice', async () => {
    const a = T.tensor([1, 2, 3], { backend }).requireGrad();
    T.sum(T.mul(a, a)).backward();
    T.sum(T.mul(a, a)).backward();
    expect([...(await a.grad!.data())]).toEqual([4, 8, 12]);
    a.dispose();
  });
  it('noGrad records nothing; grad() leaves inputs untouched', async () => {
    const a = T.tensor([1, 2], { backend }).requireGrad();
    const y = T.noGrad(() => T.mul(a, 3));
    expect(y.requiresGrad).toBe(false);
    const [g] = T.grad((t) => T.sum(T.exp(t)))(a);
    expect(a.grad).toBeNull();
    const want = [Math.exp(1), Math.exp(2)];
    const got = await g.data();
    expect(Math.abs(got[0] - want[0])).toBeLessThan(1e-4);
    expect(Math.abs(got[1] - want[1])).toBeLessThan(1e-4);
  });
});
