// Mixed dtypes promote as PyTorch's torch.result_type (tools/fixtures/gen_tensor_promotion.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { backends, decodeNum, type FixtureNum } from './helpers.js';

interface Operand {
  kind: 'dims' | 'zero' | 'int' | 'float';
  dtype: T.DType | null;
  value: number | number[];
}
interface Case {
  a: Operand;
  b: Operand;
  dtype: T.DType;
  add: FixtureNum[];
  mul: FixtureNum[];
  maximum: FixtureNum[];
  lt: FixtureNum[];
  where?: FixtureNum[];
}

const fixtures: { cases: Case[] } = JSON.parse(
  readFileSync(new URL('./fixtures/torch-promotion.json', import.meta.url), 'utf8'),
);
const list = await backends();
const label = (o: Operand) => `${o.kind}${o.dtype ? ` ${o.dtype}` : ''}`;

describe.each(list)('type promotion on %s', (_name, backend) => {
  const make = (o: Operand): T.Tensor | number =>
    o.dtype === null ? (o.value as number) : T.tensor(o.value, { dtype: o.dtype, backend });
  const read = async (t: T.Tensor) => Array.from(await t.data());

  it.each(
    fixtures.cases.map((c) => [`${label(c.a)} with ${label(c.b)}`, c] as const),
  )('%s', async (_n, c) => {
    const a = make(c.a);
    const b = make(c.b);
    for (const [op, want] of [
      [T.add, c.add],
      [T.mul, c.mul],
      [T.maximum, c.maximum],
    ] as const) {
      const r = op(a, b);
      expect(r.dtype).toBe(c.dtype);
      expect(await read(r)).toEqual(want.map(decodeNum));
    }
    const less = T.lt(a, b);
    expect(less.dtype).toBe('bool');
    expect(await read(less)).toEqual(c.lt.map(decodeNum));
    if (c.where && typeof a !== 'number') {
      const w = T.where(T.gt(a, 1), a, b);
      expect(w.dtype).toBe(c.dtype);
      expect(await read(w)).toEqual(c.where.map(decodeNum));
    }
  });

  it('i32 with u32 has no common dtype: a DTypeError naming both, nothing allocated', () => {
    const i = T.tensor([1], { dtype: 'i32', backend });
    const u = T.tensor([1], { dtype: 'u32', backend });
    const cond = T.gt(i, 0);
    const live = T.memory(backend);
    expect(() => T.add(i, u)).toThrow(T.DTypeError);
    expect(() => T.add(i, u)).toThrow(/add: i32 and u32 have no common dtype .*int64/);
    expect(() => T.where(cond, i, u)).toThrow(/where: i32 and u32 have no common dtype/);
    expect(T.memory(backend)).toEqual(live);
    // u8 widens into either.
    expect(T.add(u, T.tensor([2], { dtype: 'u8', backend })).dtype).toBe('u32');
  });

  it('promoted operands keep their gradient: a float tensor with an integer one', async () => {
    const x = T.tensor([1, 2, 3], { backend }).requireGrad();
    const k = T.tensor([2, 3, 4], { dtype: 'i32', backend });
    const y = T.sum(T.mul(x, k));
    y.backward();
    expect(await read(x.grad as T.Tensor)).toEqual([2, 3, 4]);
  });
});
