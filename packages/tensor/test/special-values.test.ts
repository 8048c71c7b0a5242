// NaN, ±inf, −0, huge and subnormal values through every elementwise op, every pair of them
// through the binary ops (fmod and remainder too) and comparisons, and rows holding them through the
// reductions, row ops, products and topk
// ops, forward and gradient, against PyTorch (tools/fixtures/gen_tensor_special.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { backends, decodeNum, type FixtureNum } from './helpers.js';

type Num = FixtureNum;
interface Case {
  name: string;
  inputs: { shape: number[]; data: Num[] }[];
  output: { shape: number[]; data: Num[] };
  grads?: Num[][];
  output_ftz?: Num[];
  grads_ftz?: Num[][];
}
const fixtures = JSON.parse(
  readFileSync(new URL('./fixtures/torch-special.json', import.meta.url), 'utf8'),
) as { torch: string; ce_target: number[]; cases: Case[] };

const dec = decodeNum;

const FLT_MIN = 1.1754943508222875e-38;

/**
 * Why `got` differs from `want`, or undefined when it does not: NaN where NaN, the same infinity,
 * the same sign of zero where `zeroSign`, finite values within rtol. `subnormalSlack` accepts an
 * error up to FLT_MIN, as WGSL lets adapters flush subnormal results.
 */
function mismatch(
  got: ArrayLike<number>,
  want: number[],
  rtol: number,
  opts: { zeroSign: boolean; subnormalSlack: boolean; atol?: number },
): string | undefined {
  if (got.length !== want.length) return `length ${got.length}, expected ${want.length}`;
  const bad: string[] = [];
  for (let i = 0; i < want.length && bad.length < 4; i++) {
    const why = mismatchAt(got[i], want[i], rtol, opts);
    if (why) bad.push(`element ${i}: ${why}`);
  }
  return bad.length ? bad.join('; ') : undefined;
}

function mismatchAt(
  a: number,
  e: number,
  rtol: number,
  opts: { zeroSign: boolean; subnormalSlack: boolean; atol?: number },
): string | undefined {
  {
    if (Number.isNaN(e) || Number.isNaN(a))
      return Number.isNaN(e) && Number.isNaN(a) ? undefined : `got ${a}, expected ${e}`;
    if (!Number.isFinite(e) || !Number.isFinite(a)) return a === e ? undefined : `got ${a}, expected ${e}`;
    if (e === 0 && a === 0) {
      const sign = (z: number) => (Object.is(z, -0) ? '-0' : '0');
      return opts.zeroSign && !Object.is(a, e) ? `got ${sign(a)}, expected ${sign(e)}` : undefined;
    }
    const slack = Math.max(opts.subnormalSlack ? FLT_MIN : 0, opts.atol ?? 0);
    return Math.abs(a - e) <= rtol * Math.abs(e) + slack
      ? undefined
      : `got ${a}, expected ${e} (rtol ${rtol})`;
  }
}

const targetOf = (backend: T.Backend, n: number) =>
  T.tensor(fixtures.ce_target.slice(0, n), { dtype: 'i32', backend });
const UNARY: Record<string, (x: T.Tensor) => T.Tensor> = {
  neg: T.neg,
  abs: T.abs,
  sign: T.sign,
  exp: T.exp,
  log: T.log,
  sqrt: T.sqrt,
  rsqrt: T.rsqrt,
  sin: T.sin,
  cos: T.cos,
  tanh: T.tanh,
  sigmoid: T.sigmoid,
  relu: T.relu,
  gelu: T.gelu,
  silu: T.silu,
  erf: T.erf,
  square: T.square,
  clamp: (x) => T.clamp(x, -0.5, 1.0),
  log1p: T.log1p,
  expm1: T.expm1,
  log2: T.log2,
  tan: T.tan,
  asin: T.asin,
  acos: T.acos,
  atan: T.atan,
  floor: T.floor,
  ceil: T.ceil,
  round: T.round,
  trunc: T.trunc,
  reciprocal: T.reciprocal,
  softplus: T.softplus,
  leaky_relu: (x) => T.leakyRelu(x),
  elu: (x) => T.elu(x),
  isnan: T.isnan,
  isinf: T.isinf,
  isfinite: T.isfinite,
  logical_not: T.logicalNot,
};
const BINARY: Record<string, (a: T.Tensor, b: T.Tensor) => T.Tensor> = {
  add: T.add,
  sub: T.sub,
  mul: T.mul,
  div: T.div,
  pow: T.pow,
  maximum: T.maximum,
  minimum: T.minimum,
  fmod: T.fmod,
  remainder: T.remainder,
  eq: T.eq,
  ne: T.ne,
  lt: T.lt,
  le: T.le,
  gt: T.gt,
  ge: T.ge,
  logical_and: T.logicalAnd,
  logical_or: T.logicalOr,
  logical_xor: T.logicalXor,
};
const ROWS: Record<string, (x: T.Tensor) => T.Tensor> = {
  sum: (x) => T.sum(x, 1),
  mean: (x) => T.mean(x, 1),
  amax: (x) => T.max(x, 1),
  amin: (x) => T.min(x, 1),
  softmax: (x) => T.softmax(x, 1),
  log_softmax: (x) => T.logSoftmax(x, 1),
  logsumexp: (x) => T.logsumexp(x, 1),
  var: (x) => T.variance(x, 1),
  std: (x) => T.std(x, 1),
  layer_norm: (x) => T.layerNorm(x, [3]),
  cumsum: (x) => T.cumsum(x, 1),
  rms_norm: (x) => T.rmsNorm(x, [3], undefined, 1e-6),
  argmax: (x) => T.argmax(x, 1),
  argmin: (x) => T.argmin(x, 1),
  prod: (x) => T.prod(x, 1),
  cumprod: (x) => T.cumprod(x, 1),
  topk_largest: (x) => T.topk(x, 2, 1).values,
  topk_smallest: (x) => T.topk(x, 2, 1, false).values,
};

function implOf(name: string): (...xs: T.Tensor[]) => T.Tensor {
  const [kind, ...rest] = name.split('_');
  const op = rest.join('_');
  if (kind === 'unary') return UNARY[op];
  if (kind === 'binary' || kind === 'compare') return BINARY[op];
  if (kind === 'rows') return ROWS[op];
  if (kind.startsWith('prod')) return (x) => T.reshape(T.prod(x), [1]);
  if (name === 'cross_entropy')
    return (x) => T.crossEntropy(x, targetOf(x.backend, 4), { reduction: 'none' });
  if (name === 'cross_entropy_mean')
    return (x) => T.reshape(T.crossEntropy(T.narrow(x, 0, 0, 2), targetOf(x.backend, 2)), [1]);
  throw new Error(`no implementation for fixture case ${name}`);
}

// Transcendentals on WebGPU carry WGSL's error bounds (a few ulp); erf (and so GELU) differs from
// the C library's by ~1 ulp, which GELU's 1 + erf(x) amplifies ~100× in its left tail.
const RTOL = 2e-5;
// Gradients that are zero in exact arithmetic (normalisations under a uniform upstream gradient:
// 1 − Σp) come out as rounding noise of ~1e-7 that depends on the summation order.
const GRAD_ATOL = 1e-6;

/**
 * Where Tessera's gradient deliberately differs from PyTorch's, with the value it gives instead.
 * logsumexp: ours is softmax(x); PyTorch computes exp(x − lse), and for a row [1e30, 1e30, −1e30]
 * lse rounds to 1e30, so each maximal element gets 1 instead of 1/2.
 */
const GRAD_DEVIATIONS: Record<string, Record<number, number>> = {
  rows_logsumexp: { 24: 0.5, 25: 0.5, 27: 0.5, 28: 0.5 },
};

const list = await backends();

describe.each(list)(`PyTorch ${fixtures.torch} special values on %s`, (name, backend) => {
  const gpu = name === 'webgpu';
  it('every fixture case has an implementation here', () => {
    for (const c of fixtures.cases) expect(typeof implOf(c.name)).toBe('function');
  });

  it.each(fixtures.cases.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const f = implOf(c.name);
    const xs = c.inputs.map((x) => T.tensor(x.data.map(dec), { shape: x.shape, backend }).requireGrad());
    const out = f(...xs);
    expect(out.shape).toEqual(c.output.shape);
    const got = await out.data();
    const rtol = RTOL;
    // WebGPU may flush subnormals (WGSL allows it): it may match PyTorch on the inputs as given or
    // with subnormal inputs flushed to ±0, and its zeros may lose their sign. Both backends may
    // differ from PyTorch by less than FLT_MIN: the CPU evaluates in float64 and rounds once, so it
    // keeps a subnormal where a float32 intermediate of PyTorch's underflowed to 0.
    const opts = { zeroSign: !gpu, subnormalSlack: true };
    const outputs = [c.output.data, ...(gpu && c.output_ftz ? [c.output_ftz] : [])];
    const why = outputs.map((w) => mismatch(got, w.map(dec), rtol, opts));
    if (!why.includes(undefined)) throw new Error(`${c.name} forward: ${why[0]}`);
    if (c.grads && !out.requiresGrad) {
      // Piecewise-constant ops (sign) have no gradient here; PyTorch's is zero everywhere.
      expect(c.grads.flat().every((v) => dec(v) === 0)).toBe(true);
    } else if (c.grads) {
      T.sum(out).backward();
      const grads = [c.grads, ...(gpu && c.grads_ftz ? [c.grads_ftz] : [])];
      const ours = GRAD_DEVIATIONS[c.name] ?? {};
      for (const [i, x] of xs.entries()) {
        const g = await x.grad!.data();
        const expected = (w: Num[][]) => w[i].map((v, j) => (j in ours ? ours[j] : dec(v)));
        const whyG = grads.map((w) => mismatch(g, expected(w), rtol, { ...opts, atol: GRAD_ATOL }));
        if (!whyG.includes(undefined)) throw new Error(`${c.name} d/dx${i}: ${whyG[0]}`);
      }
    }
  });
});
