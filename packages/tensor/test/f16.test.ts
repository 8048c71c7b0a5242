// float16 tensors against PyTorch (tools/fixtures/gen_tensor_f16.py): conversions bit for bit, ops
// computed in float32 and rounded to half once, as PyTorch computes them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { roundHalf } from '../src/half.js';
import * as T from '../src/index.js';
import { backends, decodeNum, type FixtureNum } from './helpers.js';

type Nums = FixtureNum[];
const fx: {
  cast: { input: Nums; f16: Nums; i32: number[]; finite: boolean[]; bool: number[] };
  unary: Record<string, { input: Nums; out: Nums }>;
  binary: Record<string, Nums>;
  rows: Record<string, Nums> & { shape: number[]; w_shape: number[] };
} = JSON.parse(readFileSync(new URL('./fixtures/torch-f16.json', import.meta.url), 'utf8'));
const num = (xs: Nums) => xs.map(decodeNum);

/** Distance in half steps (ulps) between two half values; NaN matches NaN, and ±0 each other. */
function halfUlps(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b) ? 0 : Infinity;
  if (a === b) return 0;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Infinity;
  const step = (v: number) => 2 ** (Math.max(Math.floor(Math.log2(Math.abs(v) || 2 ** -24)), -14) - 10);
  return Math.abs(a - b) / Math.min(step(a), step(b));
}

function expectHalves(got: ArrayLike<number>, want: number[], ulps: number, what: string, atol = 0) {
  expect(got.length).toBe(want.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]) <= atol ? 0 : halfUlps(got[i], want[i]);
    if (d > worst) [worst, at] = [d, i];
  }
  expect(worst, `${what}: ${got[at]} vs ${want[at]} at ${at}`).toBeLessThanOrEqual(ulps);
}

/** Same value, −0 apart from +0, NaN equal to NaN. */
const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
const mismatches = (got: ArrayLike<number>, want: number[]) => want.filter((w, i) => !same(got[i], w)).length;

describe('roundHalf', () => {
  it('rounds float32 values to half as PyTorch does, bit for bit', () => {
    const input = num(fx.cast.input);
    expect(input.length).toBeGreaterThan(300);
    expect(mismatches(input.map(roundHalf), num(fx.cast.f16))).toBe(0);
  });
});

const list = await backends();

describe.each(list)('f16 on %s', (_name, backend) => {
  const f16 = (xs: Nums, shape?: number[]) => T.tensor(num(xs), { dtype: 'f16', backend, shape });

  it('casts from f32 round to half bit for bit, and halves cast to i32 and bool as PyTorch', async () => {
    const x = T.tensor(num(fx.cast.input), { backend });
    const h = T.cast(x, 'f16');
    expect(h.dtype).toBe('f16');
    const got = await h.data();
    expect(mismatches(got, num(fx.cast.f16))).toBe(0);
    // Made from host values, the same rounding.
    expect(mismatches(await f16(fx.cast.input).data(), num(fx.cast.f16))).toBe(0);
    const finite = T.tensor(
      num(fx.cast.f16).filter((_, i) => fx.cast.finite[i]),
      { dtype: 'f16', backend },
    );
    expect([...(await T.cast(finite, 'i32').data())]).toEqual(fx.cast.i32);
    expect([...(await T.cast(h, 'bool').data())]).toEqual(fx.cast.bool);
  });

  // Arithmetic is correctly rounded in f32 on every backend, so its half is PyTorch's exactly.
  // Transcendental functions differ from PyTorch's float32 ones by an ulp of float32 at times
  // (and WGSL's builtins by more), which can move a result that lies near a midpoint between
  // halves by one half step.
  const TRANSCENDENTAL_ULPS = 1;
  const EXACT = new Set(['relu', 'neg', 'abs', 'sqrt', 'reciprocal']);

  it.each(Object.keys(fx.unary))('%s of f16 gives f16, as PyTorch', async (name) => {
    const { input, out } = fx.unary[name];
    const op = (T as unknown as Record<string, (x: T.Tensor) => T.Tensor>)[name];
    const y = op(f16(input));
    expect(y.dtype).toBe('f16');
    // gelu's 1 + erf(x/√2) cancels for x ≪ 0, in PyTorch's float32 as in ours: an ulp of float32
    // near 1 (1.2e-7) times |x| (< 12 here) apart in absolute terms, however small the result.
    const atol = name === 'gelu' ? 1.5e-6 : 0;
    expectHalves(await y.data(), num(out), EXACT.has(name) ? 0 : TRANSCENDENTAL_ULPS, name, atol);
  });

  it('binary ops of f16 give f16, as PyTorch', async () => {
    const a = f16(fx.binary.a);
    const b = f16(fx.binary.b);
    const ops = { add: T.add, sub: T.sub, mul: T.mul, div: T.div, maximum: T.maximum };
    for (const [name, op] of Object.entries(ops)) {
      const y = op(a, b);
      expect(y.dtype).toBe('f16');
      expectHalves(await y.data(), num(fx.binary[name]), 0, name);
    }
    expectHalves(await T.pow(f16(fx.binary.pow_a), b).data(), num(fx.binary.pow), TRANSCENDENTAL_ULPS, 'pow');
  });

  // Reductions add in float32 in another order than PyTorch's, so the float32 totals differ by a
  // few float32 ulps, which moves a half result near a midpoint by one step; and where 1,000 terms
  // of magnitude ~10 cancel to ~1e-3, those ulps (~1e-6 of the terms) exceed a half step there:
  // sums and products also pass within 1e-4 absolute, far inside a half step of the large results.
  it('reductions, row ops and matmul of f16 accumulate in f32 and give f16', async () => {
    const r = f16(fx.rows.input, fx.rows.shape);
    const w = f16(fx.rows.w, fx.rows.w_shape);
    const cases: [string, T.Tensor][] = [
      ['sum', T.sum(r, -1)],
      ['mean', T.mean(r, -1)],
      ['max', T.max(r, -1)],
      ['softmax', T.softmax(r, -1)],
      ['log_softmax', T.logSoftmax(r, -1)],
      ['layer_norm', T.layerNorm(r, [fx.rows.shape[1]])],
      ['matmul', T.matmul(r, w)],
    ];
    for (const [name, y] of cases) {
      expect(y.dtype, name).toBe('f16');
      const atol = name === 'sum' || name === 'mean' || name === 'matmul' ? 1e-4 : 0;
      expectHalves(await y.data(), num(fx.rows[name]), name === 'max' ? 0 : 1, name, atol);
    }
  });

  it('promotes with other dtypes as PyTorch: f16 over integers and bool, under f32', () => {
    const h = T.tensor([1, 2], { dtype: 'f16', backend });
    expect(T.add(h, T.tensor([1, 2], { dtype: 'i32', backend })).dtype).toBe('f16');
    expect(T.add(h, T.tensor([1, 0], { dtype: 'bool', backend })).dtype).toBe('f16');
    expect(T.add(h, T.tensor([1, 2], { backend })).dtype).toBe('f32');
    expect(T.add(h, 0.5).dtype).toBe('f16');
    expect(T.add(h, T.tensor(0.5, { backend })).dtype).toBe('f16');
  });

  it('gradients of f16 leaves are f16 and match the f32 gradient rounded', async () => {
    const values = [-2, -0.5, 0.25, 1, 3];
    const x = T.tensor(values, { dtype: 'f16', backend }).requireGrad();
    T.sum(T.mul(T.tanh(x), x)).backward();
    const g = x.grad as T.Tensor;
    expect(g.dtype).toBe('f16');
    const x32 = T.tensor(values, { backend }).requireGrad();
    T.sum(T.mul(T.tanh(x32), x32)).backward();
    const want = [...(await (x32.grad as T.Tensor).data())].map(roundHalf);
    // Each op rounds to half on the way (as PyTorch's float16 autograd does): a few steps apart at most.
    expectHalves(await g.data(), want, 4, 'grad');
  });

  it('fused and op-by-op f16 chains agree bit for bit', async () => {
    const x = f16(fx.unary.exp.input);
    const chain = () => T.add(T.mul(T.tanh(x), 3), T.div(x, 7));
    const fused = await chain().data();
    const was = T.setFusion(false);
    const opByOp = await chain().data();
    T.setFusion(was);
    expect([...fused]).toEqual([...opByOp]);
  });
});
