// Ops composed of others (any/all, flip, roll, repeat, tril/triu, losses, vector norms, einsum,
// products, fmod/remainder against scalars and on integers, topk) against PyTorch, forward
// and the gradient of sum(out), on every backend (tools/fixtures/gen_tensor_composites.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { backends, decodeNum, expectClose, type FixtureNum } from './helpers.js';

type Num = FixtureNum;
interface Case {
  name: string;
  inputs: { shape: number[]; data: Num[] }[];
  ints: { shape: number[]; data: number[] }[];
  output: { shape: number[]; data: Num[] };
  grads: Num[][];
}
const fixtures = JSON.parse(
  readFileSync(new URL('./fixtures/torch-composites.json', import.meta.url), 'utf8'),
) as { cases: Case[] };
const dec = decodeNum;

type Op = (...xs: T.Tensor[]) => T.Tensor;
const band =
  (f: typeof T.tril, d: number): Op =>
  (x) =>
    f(x, d);
const IMPL: Record<string, Op> = {
  any_all: (x) => T.any(x),
  any_rows: (x) => T.any(x, 1),
  all_rows: (x) => T.all(x, 1),
  all_cols: (x) => T.all(x, 0),
  flip_last: (x) => T.flip(x, [-1]),
  flip_two: (x) => T.flip(x, [0, 2]),
  roll_one: (x) => T.roll(x, [2], [2]),
  roll_two: (x) => T.roll(x, [-1, 7], [1, 2]),
  repeat_same_rank: (x) => T.repeat(x, [2, 1, 3]),
  repeat_new_dims: (x) => T.repeat(x, [2, 1, 2, 1]),
  mse_mean: (a, b) => T.mseLoss(a, b),
  mse_sum: (a, b) => T.mseLoss(a, b, 'sum'),
  mse_none: (a, b) => T.mseLoss(a, b, 'none'),
  bce_mean: (p, y) => T.binaryCrossEntropy(p, y),
  bce_none: (p, y) => T.binaryCrossEntropy(p, y, 'none'),
  bce_logits_mean: (z, y) => T.binaryCrossEntropyWithLogits(z, y),
  bce_logits_sum: (z, y) => T.binaryCrossEntropyWithLogits(z, y, 'sum'),
  nll_mean: (p, t) => T.nllLoss(p, t),
  nll_sum: (p, t) => T.nllLoss(p, t, { reduction: 'sum' }),
  nll_none: (p, t) => T.nllLoss(p, t, { reduction: 'none' }),
};
for (const [tag, ord] of [
  ['1', 1],
  ['2', 2],
  ['3', 3],
  ['0p5', 0.5],
  ['inf', Infinity],
] as const) {
  IMPL[`norm_${tag}_rows`] = (x) => T.vectorNorm(x, ord, 1);
}
IMPL.norm_2_all = (x) => T.reshape(T.vectorNorm(x), [1]);
IMPL.einsum_diag_special = (x) => T.einsum('ii->i', x);
for (const c of fixtures.cases.filter(
  (c) => c.name.startsWith('einsum_') && c.name !== 'einsum_diag_special',
)) {
  IMPL[c.name] = (...xs) => T.reshape(T.einsum(c.name.slice('einsum_'.length), ...xs), [-1]);
}
IMPL.norm_inf_cols_keepdim = (x) => T.vectorNorm(x, Infinity, 0, true);
const prodAll: Op = (x) => T.reshape(T.prod(x), [1]);
Object.assign(IMPL, {
  prod_all_long: prodAll,
  prod_all_one_zero: prodAll,
  prod_all_two_zeros: prodAll,
  prod_rows_long: (x) => T.prod(x, 1),
  prod_rows_zeros: (x) => T.prod(x, 1),
  prod_rows_nozero_special: (x) => T.prod(x, 1),
  prod_cols_zeros: (x) => T.prod(x, 0),
  prod_cols_keepdim: (x) => T.prod(x, 0, true),
  cumprod_rows_long: (x) => T.cumprod(x, 1),
  cumprod_rows_zeros: (x) => T.cumprod(x, 1),
  cumprod_cols_zeros: (x) => T.cumprod(x, 0),
  cumprod_3d: (x) => T.cumprod(x, 1),
  fmod_scalar: (x) => T.fmod(x, 2.5),
  fmod_neg_scalar: (x) => T.fmod(x, -1.5),
  remainder_scalar: (x) => T.remainder(x, 2.5),
  remainder_neg_scalar: (x) => T.remainder(x, -1.5),
  remainder_broadcast: (x, y) => T.remainder(x, y),
  fmod_int: (a, b) => T.fmod(a, b),
  remainder_int: (a, b) => T.remainder(a, b),
  remainder_int_scalar: (a) => T.remainder(a, -7),
  topk_dim1: (x) => T.topk(x, 2, 1).values,
  topk_dim0_indices: (x) => T.topk(x, 2, 0, false).indices,
} satisfies Record<string, Op>);
for (const k of [1, 3, 16, 17]) {
  IMPL[`topk_values_${k}`] = (x) => T.topk(x, k, 1).values;
  IMPL[`topk_indices_${k}`] = (x) => T.topk(x, k, 1).indices;
  IMPL[`topk_smallest_${k}`] = (x) => T.topk(x, k, 1, false).values;
}
for (const d of [-2, -1, 0, 1, 3]) {
  IMPL[`tril_${d}`] = band(T.tril, d);
  IMPL[`triu_${d}`] = band(T.triu, d);
}

const list = await backends();

describe.each(list)('composed ops against PyTorch on %s', (_name, backend) => {
  it('has an implementation for every fixture case', () => {
    expect(fixtures.cases.map((c) => c.name).filter((n) => !IMPL[n])).toEqual([]);
  });

  it.each(fixtures.cases.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const xs = c.inputs.map((i) => T.tensor(i.data.map(dec), { shape: i.shape, backend }).requireGrad());
    const ints = c.ints.map((i) => T.tensor(i.data, { shape: i.shape, dtype: 'i32', backend }));
    const out = IMPL[c.name](...xs, ...ints);
    expect(out.shape).toEqual(c.output.shape);
    // Sums and logs in float32 in another order than PyTorch's.
    expectClose(await out.data(), c.output.data.map(dec), 1e-5, 1e-6, `${c.name} forward`);
    if (out.dtype !== 'f32') return;
    T.sum(out).backward();
    for (const [i, x] of xs.entries()) {
      expectClose(await x.grad!.data(), c.grads[i].map(dec), 1e-5, 1e-6, `${c.name} d/dx${i}`);
    }
    for (const t of [...xs, ...ints, out]) t.dispose();
  });

  it('names the argument and the expected and actual values of bad input', () => {
    const x = T.ones([2, 3], { backend });
    expect(() => T.roll(x, [1], [0, 1])).toThrow(/roll: shifts 1 and dims 2/);
    expect(() => T.repeat(x, [2])).toThrow(/repeat: 1 repetitions for a tensor of rank 2/);
    expect(() => T.tril(T.ones([3], { backend }))).toThrow(
      /tril: expected a tensor of rank >= 2, got rank 1/,
    );
    expect(() => T.mseLoss(x, T.ones([3, 2], { backend }))).toThrow(
      /mseLoss: target shape \[3, 2\] must equal/,
    );
    expect(() => T.mseLoss(x, x, 'avg' as never)).toThrow(
      /reduction must be 'mean', 'sum' or 'none', got 'avg'/,
    );
    expect(() => T.nllLoss(x, T.zeros([2], { backend }))).toThrow(
      /nllLoss: target must have dtype i32, got f32/,
    );
    expect(() => T.einsum('ij,jk->ik', x, x)).toThrow(
      /letter 'j' is 3 long in one operand and 2 in operand 1/,
    );
    expect(() => T.einsum('ii->i', x)).toThrow(/letter 'i' is 2 long in one operand and 3 in operand 0/);
    expect(() => T.einsum('ij->k', x)).toThrow(/output letter 'k' is in no operand/);
    expect(() => T.einsum('ij->ii', x)).toThrow(/output 'ii' repeats a letter/);
    expect(() => T.einsum('...i...->i', x)).toThrow(/must be letters and at most one '\.\.\.'/);
    expect(() => T.einsum('ijk...->i', x)).toThrow(/has 3 letters for a tensor of rank 2/);
    expect(() => T.vectorNorm(x, 0)).toThrow(/vectorNorm: ord must be a positive number or Infinity, got 0/);
    x.dispose();
  });
});
