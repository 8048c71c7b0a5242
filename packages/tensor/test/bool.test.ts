// bool tensors: what comparisons and logical ops give, with PyTorch's arithmetic, reductions and
// promotion for them (promotion against PyTorch is in promotion.test.ts).
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { backends } from './helpers.js';

const list = await backends();

describe.each(list)('bool on %s', (_name, backend) => {
  const bool = (v: number[]) => T.tensor(v, { dtype: 'bool', backend });
  const read = async (t: T.Tensor) => [...(await t.data())];

  it('comparisons, predicates and logical ops give bool, stored as 0 and 1', async () => {
    const x = T.tensor([Number.NaN, -0, 0.5, Number.POSITIVE_INFINITY], { backend });
    for (const t of [T.gt(x, 0), T.isnan(x), T.isfinite(x), T.logicalNot(x), T.logicalAnd(x, 1), T.any(x)]) {
      expect(t.dtype).toBe('bool');
      expect((await t.data()) instanceof Uint8Array).toBe(true);
    }
    expect(await read(T.gt(x, 0))).toEqual([0, 0, 1, 1]);
    expect(await read(T.isnan(x))).toEqual([1, 0, 0, 0]);
    expect(await read(T.logicalNot(x))).toEqual([0, 1, 0, 0]);
  });

  it('casts to bool are true for nonzero (NaN too, −0 not), as PyTorch', async () => {
    const x = T.tensor([Number.NaN, -0, 0, 2.5, -1, Number.NEGATIVE_INFINITY], { backend });
    expect(await read(T.cast(x, 'bool'))).toEqual([1, 0, 0, 1, 1, 1]);
    expect(await read(T.cast(T.tensor([0, 7, 256], { dtype: 'i32', backend }), 'bool'))).toEqual([0, 1, 1]);
    // Host values become bools the same way.
    expect(await read(T.tensor([0, 3, -0.5, Number.NaN], { dtype: 'bool', backend }))).toEqual([0, 1, 1, 1]);
    expect(await read(T.cast(bool([1, 0, 1]), 'f32'))).toEqual([1, 0, 1]);
  });

  it('arithmetic on bools is PyTorch’s: + is or, * is and, − and negation refused', async () => {
    const a = bool([1, 1, 0, 0]);
    const b = bool([1, 0, 1, 0]);
    const or = T.add(a, b);
    expect(or.dtype).toBe('bool');
    expect(await read(or)).toEqual([1, 1, 1, 0]);
    expect(await read(T.mul(a, b))).toEqual([1, 0, 0, 0]);
    expect(await read(T.maximum(a, b))).toEqual([1, 1, 1, 0]);
    expect(() => T.sub(a, b)).toThrow(/sub: a and b are bool.*logicalXor/);
    expect(() => T.neg(a)).toThrow(T.DTypeError);
    expect(() => T.neg(a)).toThrow(/neg: input must have dtype f32 or f16 or i32, got bool/);
  });

  it('promotes as PyTorch: under every integer and float; an integer number makes i32', () => {
    const a = bool([1, 0]);
    expect(T.add(a, T.tensor([1, 2], { dtype: 'u8', backend })).dtype).toBe('u8');
    expect(T.add(a, T.tensor([1, 2], { dtype: 'i32', backend })).dtype).toBe('i32');
    expect(T.add(a, T.tensor([1, 2], { backend })).dtype).toBe('f32');
    expect(T.add(a, 2).dtype).toBe('i32');
    expect(T.add(a, 0.5).dtype).toBe('f32');
    expect(T.add(a, T.tensor(1, { dtype: 'bool', backend })).dtype).toBe('bool');
  });

  it('sums count the true elements as i32; any and all give bool', async () => {
    const m = T.gt(
      T.tensor(
        [
          [1, 5, 3],
          [7, 0, 9],
        ],
        { backend },
      ),
      2,
    );
    const s = T.sum(m, 1);
    expect(s.dtype).toBe('i32');
    expect(await read(s)).toEqual([2, 2]);
    expect(await T.sum(m).item()).toBe(4);
    expect(await read(T.any(m, 1))).toEqual([1, 1]);
    expect(await read(T.all(m, 1))).toEqual([0, 0]);
  });

  it('masks select: where, maskedFill, and views and copies keep bool', async () => {
    const x = T.tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { backend },
    );
    const m = T.gt(x, 2);
    expect(await read(T.where(m, x, 0))).toEqual([0, 0, 3, 4]);
    expect(await read(T.maskedFill(x, m, -1))).toEqual([1, 2, -1, -1]);
    const t = T.transpose(m);
    expect(t.dtype).toBe('bool');
    expect(await read(t)).toEqual([0, 1, 0, 1]);
    const g = T.gather(m, 1, T.tensor([[1], [0]], { dtype: 'i32', backend }));
    expect(g.dtype).toBe('bool');
    expect(await read(g)).toEqual([0, 1]);
  });

  it('a fused mask of a float chain gives what op by op gives', async () => {
    const x = T.randn([1001], { generator: new T.Generator(3), backend }).realize();
    const chain = () => T.where(T.logicalAnd(T.gt(x, -0.5), T.lt(T.mul(x, 2), 1)), T.exp(x), T.neg(x));
    const fused = await read(chain());
    const was = T.setFusion(false);
    const opByOp = await read(chain());
    T.setFusion(was);
    expect(fused).toEqual(opByOp);
  });
});
