import { tensor_map, tensor_math } from '@tessera/kernels';
import type { DType } from '../dtype.js';
import type { BinaryOp, CompareOp, KernelFn, KernelOp, OutSpec, UnaryOp, View } from '../opset.js';
import { BINARY_OPS, COMPARE_OPS, UNARY_OPS } from '../opset.js';
import { numel } from '../shape.js';
import { f32Bits, fill, StridedViews, wgslType } from './codegen.js';
import type { Gpu } from './gpu.js';

type H = GPUBuffer;
type Table<U extends KernelOp> = { [K in U]: KernelFn<H, K> };

/** WGSL of each unary op on `a` (f32 unless the op also takes integers: then by whether `a` is a float). */
const UNARY_WGSL: Record<UnaryOp, string | ((float: boolean) => string)> = {
  neg: '-a',
  abs: 'abs(a)',
  sign: 'sign(a)',
  exp: 'exp(a)',
  log: 'log_f(a)',
  sqrt: 'sqrt(a)',
  rsqrt: 'inverseSqrt(a)',
  sin: 'sin_f(a)',
  cos: 'cos_f(a)',
  tanh: 'tanh_f(a)',
  sigmoid: 'sigmoid_f(a)',
  // NaN stays NaN (WGSL's max may return either operand, and a comparison may ignore NaN); −0 stays −0.
  relu: (f) => (f ? 'select(a, 0.0, a < 0.0 && !is_nan(a))' : 'select(a, T(0), a < T(0))'),
  gelu: 'gelu_f(a)',
  silu: 'a * sigmoid_f(a)',
  erf: 'erf_f(a)',
};

const wgslOf = (w: string | ((float: boolean) => string), float: boolean) =>
  typeof w === 'string' ? w : w(float);

const BINARY_WGSL: Record<BinaryOp, (float: boolean) => string> = {
  add: () => 'a + b',
  sub: () => 'a - b',
  mul: () => 'a * b',
  // Integer division by zero gives 0 (as NumPy), where WGSL would give a.
  div: (f) => (f ? 'a / b' : 'select(a / b, T(0), b == T(0))'),
  pow: () => 'pow_f(a, b)',
  maximum: (f) => (f ? 'max_f(a, b)' : 'max(a, b)'),
  minimum: (f) => (f ? 'min_f(a, b)' : 'min(a, b)'),
};

const COMPARE_WGSL: Record<CompareOp, string> = { eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' };

/** Where a map kernel writes: a buffer and, when not the contiguous output, a strided view into it. */
export interface MapTarget {
  buffer: H;
  dtype: DType;
  /** Strided destination (shape = the iteration shape); omitted for contiguous `out[i]`. */
  view?: Pick<View, 'strides' | 'offset' | 'shape'>;
}

/**
 * Launches the map kernel over `shape`: `value` is a WGSL expression over the inputs (named
 * `names`, each read at its own strided offset), the element index `i` and parameter words
 * `m(1u)…` from `extra`. Writes `target` (contiguous, or through a strided view).
 */
export function mapInto(
  g: Gpu,
  label: string,
  shape: readonly number[],
  target: MapTarget,
  inputs: View<H>[],
  names: string[],
  value: string,
  extra: number[] = [],
): void {
  const n = numel(shape);
  const dst = target.view ? [target.view] : [];
  const views = new StridedViews(shape, [...inputs, ...dst], [n, ...extra]);
  const types = inputs.map((v) => wgslType(v.dtype));
  const outT = wgslType(target.dtype);
  // Reads of `a`, `b`, … become local lets so `value` stays a readable expression.
  const reads = names.map((nm) => `let ${nm} = in_${nm}[idx_${nm}(i)];`).join(' ');
  const mask = target.dtype === 'u8' ? ' & 255u' : '';
  const at = target.view ? 'idx_dst(i)' : 'i';
  g.launch({
    key: `map:${label}:${types.join(',')}>${outT}${mask}:${views.key}`,
    label: `tensor/map:${label}`,
    source: () => {
      const bindings = [
        ...names.map((nm, j) => `@group(0) @binding(${j}) var<storage, read> in_${nm}: array<${types[j]}>;`),
        `@group(0) @binding(${names.length}) var<storage, read_write> out: array<${outT}>;`,
      ].join('\n');
      return fill(tensor_map, {
        BINDINGS: `alias T = ${types[0] ?? outT};\n${bindings}`,
        PARAMS: g.params(names.length + 1, views.words),
        INDEX: views.fns(target.view ? [...names, 'dst'] : names),
        MATH: tensor_math,
        WG: g.wg,
        BODY: `${reads} out[${at}] = ${outT}((${value})${mask});`,
      });
    },
    buffers: [...inputs.map((v) => v.handle), target.buffer],
    words: views.words,
    workgroups: Math.ceil(n / g.wg),
  });
}

/** {@link mapInto} a new contiguous output buffer, which it returns. */
export function map(
  g: Gpu,
  label: string,
  out: OutSpec,
  inputs: View<H>[],
  names: string[],
  value: string,
  extra: number[] = [],
): H {
  const buffer = g.alloc(out);
  mapInto(g, label, out.shape, { buffer, dtype: out.dtype }, inputs, names, value, extra);
  return buffer;
}

const fromKeys = <U extends string, V>(keys: readonly U[], f: (k: U) => V) =>
  Object.fromEntries(keys.map((k) => [k, f(k)])) as Record<U, V>;

function castExpr(from: DType, to: DType): string {
  const t = wgslType(to);
  if (from === 'f32' && to !== 'f32') return `${t}(i32(trunc(a)))`;
  if (from !== 'f32' && to !== 'f32' && wgslType(from) !== t) return `bitcast<${t}>(a)`;
  return `${t}(a)`;
}

export function elementwiseGpu(g: Gpu): Table<UnaryOp | BinaryOp | CompareOp | 'cast' | 'where'> {
  return {
    ...fromKeys(
      UNARY_OPS,
      (op): KernelFn<H, UnaryOp> =>
        (out, xs) =>
          map(g, op, out, xs, ['a'], wgslOf(UNARY_WGSL[op], xs[0].dtype === 'f32')),
    ),
    ...fromKeys(
      BINARY_OPS,
      (op): KernelFn<H, BinaryOp> =>
        (out, xs) =>
          map(g, op, out, xs, ['a', 'b'], BINARY_WGSL[op](out.dtype === 'f32')),
    ),
    ...fromKeys(
      COMPARE_OPS,
      (op): KernelFn<H, CompareOp> =>
        (out, xs) =>
          map(g, op, out, xs, ['a', 'b'], `select(0u, 1u, a ${COMPARE_WGSL[op]} b)`),
    ),
    cast: (out, xs) => map(g, `cast`, out, xs, ['a'], castExpr(xs[0].dtype, out.dtype)),
    where: (out, xs) => map(g, 'where', out, xs, ['c', 'a', 'b'], 'select(b, a, c != 0u)'),
  };
}

export function creationGpu(g: Gpu): Table<'full' | 'arange' | 'rand' | 'randn'> {
  const num = (dtype: DType, x: number) => (dtype === 'f32' ? f32Bits(x) : x >>> 0);
  const asT = (dtype: DType, word: string) =>
    dtype === 'f32' ? `bitcast<f32>(${word})` : `${wgslType(dtype)}(${word})`;
  return {
    full: (out, _, p) => map(g, 'full', out, [], [], asT(out.dtype, 'm(1u)'), [num(out.dtype, p.value)]),
    arange: (out, _, p) => {
      const t = wgslType(out.dtype);
      const start = asT(out.dtype, 'm(1u)');
      const step = asT(out.dtype, 'm(2u)');
      return map(g, 'arange', out, [], [], `${start} + ${t}(i) * ${step}`, [
        num(out.dtype, p.start),
        num(out.dtype, p.step),
      ]);
    },
    rand: (out, _, p) =>
      map(g, 'rand', out, [], [], 'uniform_f(m(1u), m(2u) + i)', [p.seed >>> 0, p.offset >>> 0]),
    randn: (out, _, p) =>
      map(g, 'randn', out, [], [], 'normal_f(m(1u), m(2u) + i)', [p.seed >>> 0, p.offset >>> 0]),
  };
}
