import { allocArray, type TypedArray } from '../dtype.js';
import type { BinaryOp, CompareOp, KernelFn, KernelOp, UnaryOp } from '../opset.js';
import { BINARY_OPS, COMPARE_OPS, UNARY_OPS } from '../opset.js';
import { erf, gelu, pow, randomWord, uniform } from '../scalar.js';
import { numel } from '../shape.js';
import { type CpuView, materialize } from './strided.js';

type H = TypedArray;
type Table<U extends KernelOp> = { [K in U]: KernelFn<H, K> };

/** The CPU reference of each unary op. */
export const UNARY_FNS: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  abs: Math.abs,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  relu: (x) => (x < 0 ? 0 : x), // NaN and −0 stay themselves, as in PyTorch
  gelu,
  silu: (x) => x / (1 + Math.exp(-x)),
  erf,
};

/** The CPU reference of each binary op on floats; integer division truncates. */
export const BINARY_FNS: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow,
  maximum: (a, b) => (a > b || Number.isNaN(a) ? a : b),
  minimum: (a, b) => (a < b || Number.isNaN(a) ? a : b),
};

export const COMPARE_FNS: Record<CompareOp, (a: number, b: number) => boolean> = {
  eq: (a, b) => a === b,
  ne: (a, b) => a !== b,
  lt: (a, b) => a < b,
  le: (a, b) => a <= b,
  gt: (a, b) => a > b,
  ge: (a, b) => a >= b,
};

const map = <U extends string, V>(keys: readonly U[], f: (k: U) => V) =>
  Object.fromEntries(keys.map((k) => [k, f(k)])) as Record<U, V>;

const unary = map(
  UNARY_OPS,
  (op): KernelFn<H, UnaryOp> =>
    (out, [x]) => {
      const a = materialize(x);
      const r = allocArray(out.dtype, a.length);
      const f = UNARY_FNS[op];
      for (let i = 0; i < a.length; i++) r[i] = f(a[i]);
      return r;
    },
);

/** A view whose every element is the same one (a broadcast scalar): its value, else undefined. */
function scalarOf(v: CpuView): number | undefined {
  return v.strides.every((st, d) => st === 0 || v.shape[d] === 1) ? v.handle[v.offset] : undefined;
}

// The hot ops get their own loops (no call per element), with a fast path for a scalar operand.
const FAST: Partial<Record<BinaryOp, (a: TypedArray, b: TypedArray | number, r: TypedArray) => void>> = {
  add: (a, b, r) => {
    if (typeof b === 'number') for (let i = 0; i < r.length; i++) r[i] = a[i] + b;
    else for (let i = 0; i < r.length; i++) r[i] = a[i] + b[i];
  },
  sub: (a, b, r) => {
    if (typeof b === 'number') for (let i = 0; i < r.length; i++) r[i] = a[i] - b;
    else for (let i = 0; i < r.length; i++) r[i] = a[i] - b[i];
  },
  mul: (a, b, r) => {
    if (typeof b === 'number') for (let i = 0; i < r.length; i++) r[i] = a[i] * b;
    else for (let i = 0; i < r.length; i++) r[i] = a[i] * b[i];
  },
  div: (a, b, r) => {
    if (typeof b === 'number') for (let i = 0; i < r.length; i++) r[i] = a[i] / b;
    else for (let i = 0; i < r.length; i++) r[i] = a[i] / b[i];
  },
};

const binary = map(
  BINARY_OPS,
  (op): KernelFn<H, BinaryOp> =>
    (out, [x, y]) => {
      const a = materialize(x);
      const r = allocArray(out.dtype, a.length);
      const fast = FAST[op];
      if (fast && out.dtype === 'f32') {
        fast(a, scalarOf(y) ?? materialize(y), r);
        return r;
      }
      const b = materialize(y);
      const f = BINARY_FNS[op];
      // Integer division truncates, and by zero gives 0 (as NumPy: a ±Infinity or NaN quotient
      // stores as 0). Integer products wrap exactly, where a float product would lose low bits.
      if (op === 'div' && out.dtype !== 'f32')
        for (let i = 0; i < a.length; i++) r[i] = Math.trunc(a[i] / b[i]);
      else if (op === 'mul' && out.dtype !== 'f32')
        for (let i = 0; i < a.length; i++) r[i] = Math.imul(a[i], b[i]);
      else for (let i = 0; i < a.length; i++) r[i] = f(a[i], b[i]);
      return r;
    },
);

const compare = map(
  COMPARE_OPS,
  (op): KernelFn<H, CompareOp> =>
    (_out, [x, y]) => {
      const a = materialize(x);
      const b = materialize(y);
      const r = new Uint8Array(a.length);
      const f = COMPARE_FNS[op];
      for (let i = 0; i < a.length; i++) r[i] = f(a[i], b[i]) ? 1 : 0;
      return r;
    },
);

export const elementwiseCpu: Table<UnaryOp | BinaryOp | CompareOp | 'cast' | 'where'> = {
  ...unary,
  ...binary,
  ...compare,
  cast: (out, [x]) => {
    const a = materialize(x);
    const r = allocArray(out.dtype, a.length);
    if (out.dtype === 'f32' || x.dtype === 'f32')
      for (let i = 0; i < a.length; i++) r[i] = out.dtype === 'f32' ? a[i] : Math.trunc(a[i]);
    else r.set(a);
    return r;
  },
  where: (out, [c, x, y]) => {
    const m = materialize(c);
    const a = materialize(x);
    const b = materialize(y);
    const r = allocArray(out.dtype, m.length);
    for (let i = 0; i < m.length; i++) r[i] = m[i] ? a[i] : b[i];
    return r;
  },
};

export const creationCpu: Table<'full' | 'arange' | 'rand' | 'randn'> = {
  full: (out, _, p) => allocArray(out.dtype, numel(out.shape)).fill(p.value),
  arange: (out, _, p) => {
    const r = allocArray(out.dtype, numel(out.shape));
    for (let i = 0; i < r.length; i++) r[i] = p.start + i * p.step;
    return r;
  },
  rand: (out, _, p) => {
    const r = new Float32Array(numel(out.shape));
    for (let i = 0; i < r.length; i++) r[i] = uniform(p.seed, p.offset + i);
    return r;
  },
  randn: (out, _, p) => {
    const r = new Float32Array(numel(out.shape));
    for (let i = 0; i < r.length; i++) {
      const k = (p.offset + i) * 2;
      const u1 = ((randomWord(p.seed, k) >>> 8) + 1) / 16777216;
      const u2 = uniform(p.seed, k + 1);
      r[i] = Math.sqrt(-2 * Math.log(Math.fround(u1))) * Math.cos(2 * Math.PI * u2);
    }
    return r;
  },
};
