// Every op has a kernel on every backend, and every differentiable op's backward rule agrees with
// central finite differences (on each backend) at a point away from its kinks; the others state why
// they have no gradient.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { cpuBackend, type OpName, RULES } from '../src/index.js';
import { backends, gpuBackend, gradcheck, randomArray, rng } from './helpers.js';

const gpu = await gpuBackend();
const ops = Object.keys(RULES) as (keyof typeof RULES)[];
const list = await backends();

type Input = { data: number[]; shape: number[] };
/** A gradient check of one op: its float inputs, and the call (other inputs made on the backend of `xs`). */
interface GradCase {
  inputs: Input[];
  call: (...xs: T.Tensor[]) => T.Tensor;
}

const r = rng(5);
/** Random values of `shape` in [lo, hi) kept at least `gap` from every kink listed. */
function away(shape: number[], lo = -2, hi = 2, kinks: number[] = [], gap = 0.15): Input {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = randomArray(r, n, lo, hi).map((v) => {
    for (const k of kinks) if (Math.abs(v - k) < gap) return k + (v < k ? -gap : gap);
    return v;
  });
  return { data, shape };
}
const int = (like: T.Tensor, values: number[], shape = [values.length]) =>
  T.tensor(values, { shape, dtype: 'i32', backend: like.backend });
const u8 = (like: T.Tensor, values: number[], shape: number[]) =>
  T.tensor(values, { shape, dtype: 'u8', backend: like.backend });
const op =
  (name: OpName, params: object = {}) =>
  (...xs: T.Tensor[]) =>
    T.apply(name, xs, params as never);
const unary = (name: OpName, lo = -2, hi = 2, kinks: number[] = []): GradCase => ({
  inputs: [away([2, 5], lo, hi, kinks)],
  call: op(name),
});
const binary = (name: OpName, lo = -2, hi = 2): GradCase => ({
  inputs: [away([2, 3], lo, hi), away([2, 3], lo, hi)],
  call: op(name),
});

/** `x` with alternate elements negated. */
const signed = (x: T.Tensor) =>
  T.mul(
    x,
    T.tensor(
      Array.from({ length: x.size }, (_, i) => (i % 2 ? -1 : 1)),
      { shape: [...x.shape], backend: x.backend },
    ),
  );

/** One case per differentiable op; the test below fails for an op that has a gradient and no case. */
const GRAD_CASES: Partial<Record<OpName, GradCase>> = {
  neg: unary('neg'),
  abs: unary('abs', -2, 2, [0]),
  exp: unary('exp'),
  log: unary('log', 0.3, 3),
  sqrt: unary('sqrt', 0.3, 3),
  rsqrt: unary('rsqrt', 0.3, 3),
  sin: unary('sin', -4, 4),
  cos: unary('cos', -4, 4),
  tanh: unary('tanh'),
  sigmoid: unary('sigmoid'),
  relu: unary('relu', -2, 2, [0]),
  gelu: unary('gelu'),
  silu: unary('silu'),
  erf: unary('erf'),
  log1p: unary('log1p', -0.7, 3),
  expm1: unary('expm1'),
  log2: unary('log2', 0.3, 3),
  tan: unary('tan', -1.2, 1.2),
  asin: unary('asin', -0.9, 0.9),
  acos: unary('acos', -0.9, 0.9),
  atan: unary('atan', -3, 3),
  // Zero away from the integers, where they jump.
  floor: unary('floor', -2, 2, [-2, -1, 0, 1, 2]),
  ceil: unary('ceil', -2, 2, [-2, -1, 0, 1, 2]),
  round: unary('round', -2, 2, [-1.5, -0.5, 0.5, 1.5]),
  trunc: unary('trunc', -2, 2, [-2, -1, 0, 1, 2]),
  reciprocal: unary('reciprocal', 0.4, 3),
  softplus: { inputs: [away([2, 5], -3, 3)], call: (x) => T.softplus(T.mul(x, 9)) },
  leaky_relu: { inputs: [away([2, 5], -2, 2, [0])], call: (x) => T.leakyRelu(x, 0.2) },
  elu: { inputs: [away([2, 5], -2, 2, [0])], call: (x) => T.elu(x, 0.7) },
  add: binary('add'),
  sub: binary('sub'),
  mul: binary('mul'),
  div: { inputs: [away([2, 3]), away([2, 3], 0.5, 2)], call: op('div') },
  pow: { inputs: [away([2, 3], 0.5, 2), away([2, 3], -1.5, 1.5)], call: op('pow') },
  // Distinct operands: at a tie each gets half the gradient, which finite differences cannot see.
  maximum: { inputs: [away([2, 3], 0, 1), away([2, 3], 1.2, 2)], call: (a, b) => T.maximum(T.mul(a, 3), b) },
  minimum: { inputs: [away([2, 3], 0, 1), away([2, 3], 1.2, 2)], call: (a, b) => T.minimum(T.mul(a, 3), b) },
  // a / b stays within (2, 3) in magnitude, away from the integers where the remainder jumps;
  // the signs make it cross zero both ways.
  fmod: { inputs: [away([2, 3], 4.3, 5.7), away([2, 3], 1.95, 2.05)], call: (a, b) => T.fmod(signed(a), b) },
  remainder: {
    inputs: [away([2, 3], 4.3, 5.7), away([2, 3], 1.95, 2.05)],
    call: (a, b) => T.remainder(signed(a), T.neg(b)),
  },
  cast: { inputs: [away([3])], call: op('cast', { dtype: 'f32' }) },
  where: {
    inputs: [away([2, 2]), away([2, 2])],
    call: (a, b) => T.apply('where', [u8(a, [1, 0, 0, 1], [2, 2]), a, b], {}),
  },
  contiguous: { inputs: [away([2, 3])], call: (x) => T.apply('contiguous', [T.transpose(x)], {}) },
  concat: { inputs: [away([2, 3]), away([1, 3])], call: op('concat', { axis: 0 }) },
  pad: { inputs: [away([2, 3])], call: op('pad', { before: [1, 0], after: [0, 2], value: 0.5 }) },
  unslice: { inputs: [away([2, 2])], call: op('unslice', { starts: [0, 1], steps: [2, 2], shape: [4, 5] }) },
  sum: { inputs: [away([3, 4])], call: op('sum', { axes: [1] }) },
  max: { inputs: [{ data: [1, 5, 2, -1, 0.5, 3], shape: [2, 3] }], call: op('max', { axes: [1] }) },
  min: { inputs: [{ data: [1, 5, 2, -1, 0.5, 3], shape: [2, 3] }], call: op('min', { axes: [1] }) },
  cumsum: { inputs: [away([3, 4])], call: op('cumsum', { axis: 1 }) },
  softmax: { inputs: [away([3, 4])], call: op('softmax', { axis: 1 }) },
  log_softmax: { inputs: [away([3, 4])], call: op('log_softmax', { axis: 0 }) },
  layer_norm: { inputs: [away([3, 5])], call: op('layer_norm', { eps: 1e-5 }) },
  rms_norm: { inputs: [away([3, 5])], call: op('rms_norm', { eps: 1e-6 }) },
  matmul: { inputs: [away([2, 3, 4]), away([2, 4, 5])], call: op('matmul') },
  gather: {
    inputs: [away([3, 4])],
    call: (x) => T.apply('gather', [x, int(x, [0, 3, 3, 1, 2, 0], [3, 2])], { axis: 1 }),
  },
  scatter_add: {
    inputs: [away([3, 4]), away([3, 2])],
    call: (x, s) => T.apply('scatter_add', [x, int(x, [0, 3, 3, 3, 2, 0], [3, 2]), s], { axis: 1 }),
  },
  index_select: {
    inputs: [away([4, 3])],
    call: (x) => T.apply('index_select', [x, int(x, [3, 0, 3])], { axis: 0 }),
  },
  index_add: {
    inputs: [away([4, 3]), away([3, 3])],
    call: (x, s) => T.apply('index_add', [x, int(x, [1, 1, 3]), s], { axis: 0 }),
  },
  attention: {
    inputs: [away([1, 2, 3, 4]), away([1, 1, 5, 4]), away([1, 1, 5, 2])],
    call: (q, k, v) =>
      T.apply('attention', [q, k, v], {
        scale: 0.5,
        causal: true,
        window: 0,
        qOffset: 2,
        padded: false,
        segmented: false,
      }),
  },
};

describe('op coverage', () => {
  it('lists the ops the design asks for', () => {
    for (const name of [
      'add',
      'matmul',
      'sum',
      'softmax',
      'layer_norm',
      'rms_norm',
      'gather',
      'argsort',
      'topk',
      'fmod',
      'remainder',
      'cumsum',
      'concat',
      'pad',
    ]) {
      expect(ops).toContain(name);
    }
  });
  it.each(ops)('%s has a finite-difference check of its gradient, or a reason it has none', (name) => {
    const rule = RULES[name];
    if ('view' in rule) return expect(typeof rule.grad).toBe('function');
    if (typeof rule.grad === 'function') return expect(GRAD_CASES).toHaveProperty(name);
    expect(rule.grad.nondifferentiable.length).toBeGreaterThan(10);
    expect(GRAD_CASES).not.toHaveProperty(name);
  });
  it.each(ops)('%s runs on cpu and webgpu (or is a view, or an expression every backend renders)', (name) => {
    const rule = RULES[name];
    if ('view' in rule) return;
    if ('exp' in rule) return expect(typeof rule.exp).toBe('function');
    expect(typeof (cpuBackend.kernels as Record<string, unknown>)[name]).toBe('function');
    if (process.env.TESSERA_REQUIRE_WEBGPU === '1') expect(gpu).toBeDefined();
    if (gpu) expect(typeof (gpu.kernels as Record<string, unknown>)[name]).toBe('function');
  });
});

describe.each(list)('gradients against finite differences on %s', (_name, backend) => {
  it.each(Object.entries(GRAD_CASES))('%s', async (_op, c) => {
    await gradcheck(c!.call, c!.inputs, backend);
  });
});
