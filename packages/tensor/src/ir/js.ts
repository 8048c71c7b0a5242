import { type DType, isFloat, type TypedArray, wrapScalar } from '../dtype.js';
import { roundHalf } from '../half.js';
import { erf, normal, pow, uniform } from '../scalar.js';
import { contiguousStrides, numel } from '../shape.js';
import { jsWrap } from './alu.js';
import { coalesce } from './coalesce.js';
import { type Exp, keyOf } from './exp.js';
import { type Lang, renderExps } from './render.js';

/** Scalar functions the generated JavaScript calls (`lib.erf`, …). */
export const lib = {
  erf,
  pow,
  uniform,
  normal,
  roundHalf,
  roundEven: (x: number) => {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  },
  maximum: (a: number, b: number) => (a > b || Number.isNaN(a) ? a : b),
  minimum: (a: number, b: number) => (a < b || Number.isNaN(a) ? a : b),
};

/** JavaScript source of a number literal, exact for every double (NaN, ±inf, −0 included). */
export function jsNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return 'Infinity';
  if (v === Number.NEGATIVE_INFINITY) return '-Infinity';
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

/**
 * A JavaScript cast between dtypes: floats truncate toward zero, integers wrap, f16 rounds to
 * half, bool is 1 for nonzero (NaN included).
 */
export function jsCast(from: DType, to: DType, a: string): string {
  if (to === 'bool' || to === 'f16') return from === to ? a : jsWrap(to, a);
  if (to === 'f32') return isFloat(from) ? a : `Math.fround(${a})`;
  return jsWrap(to, isFloat(from) ? `Math.trunc(${a})` : a);
}

/** The parts of {@link Lang} that are the same for every JavaScript kernel. */
export const jsLang = (leaf: (e: Exp) => string): Lang => ({
  leaf: (e) => (e.op === 'const' ? jsNumber(isFloat(e.dtype) ? wrapScalar(e.arg, e.dtype) : e.arg) : leaf(e)),
  cast: jsCast,
  bind: (name, _, value) => `const ${name} = ${value};`,
  alu: 'js',
});

/** How an input is addressed inside the loops. */
type Access = 'contiguous' | 'strided' | 'scalar';

type MapFn = (
  l: typeof lib,
  outs: TypedArray[],
  ins: TypedArray[],
  offsets: Int32Array[],
  steps: number[],
  p: number[],
  rows: number,
  len: number,
) => void;

const cache = new Map<string, MapFn>();

/**
 * Compiles (once per expressions and addressing) and runs an elementwise kernel: `outs[i][k]` for
 * each row-major position `k` of `shape` is `exps[i]` with input slot j read from `inputs[j]`.
 * Loops are two deep after coalescing: rows, then the last dim with each input's step.
 */
export function runMap(
  exps: readonly Exp[],
  outs: TypedArray[],
  shape: readonly number[],
  inputs: { handle: TypedArray; strides: readonly number[]; offset: number }[],
  params: number[],
): void {
  const n = numel(shape);
  if (n === 0) return;
  const { shape: s, strides } = coalesce(
    shape,
    inputs.map((v) => v.strides),
  );
  const rank = s.length;
  const len = s[rank - 1];
  const rows = n / len;
  const outer = s.slice(0, -1);
  const cs = contiguousStrides(s);
  const access: Access[] = strides.map((st) =>
    st.every((x) => x === 0)
      ? 'scalar'
      : st.every((x, d) => x === cs[d] || s[d] === 1)
        ? 'contiguous'
        : 'strided',
  );
  const key = `${keyOf(exps)}|${access.join(',')}|${inputs.map((v) => v.handle.constructor.name).join(',')}`;
  let fn = cache.get(key);
  if (!fn) {
    fn = compileMap(exps, access);
    cache.set(key, fn);
  }
  const offsets = inputs.map((v, j) =>
    access[j] === 'strided' ? rowOffsets(outer, strides[j].slice(0, -1), v.offset) : Int32Array.of(v.offset),
  );
  fn(
    lib,
    outs,
    inputs.map((v) => v.handle),
    offsets,
    strides.map((st) => st[rank - 1]),
    params,
    rows,
    len,
  );
}

/** Start offset of each row (all dims but the last), walking the dims like an odometer. */
export function rowOffsets(shape: readonly number[], strides: readonly number[], offset: number): Int32Array {
  const n = numel(shape);
  const out = new Int32Array(n);
  const idx = new Array<number>(shape.length).fill(0);
  let off = offset;
  for (let i = 0; i < n; i++) {
    out[i] = off;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d]++;
      off += strides[d];
      if (idx[d] < shape[d]) break;
      off -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

function compileMap(exps: readonly Exp[], access: Access[]): MapFn {
  const { lines, values } = renderExps(
    exps,
    jsLang((e) => (e.op === 'input' ? `v${e.arg}` : e.op === 'param' ? `p[${e.arg}]` : 'k')),
    't',
  );
  const head = [
    ...access.map((_, j) => `const in${j} = ins[${j}], o${j} = offsets[${j}], s${j} = steps[${j}];`),
    ...exps.map((_, i) => `const out${i} = outs[${i}];`),
  ];
  const hoisted = access.map((a, j) => (a === 'scalar' ? `const v${j} = in${j}[o${j}[0]];` : ''));
  const rowStart = access.map((a, j) =>
    a === 'strided'
      ? `const b${j} = o${j}[r];`
      : a === 'contiguous'
        ? `const b${j} = o${j}[0] + r * len;`
        : '',
  );
  const loads = access.map((a, j) =>
    a === 'strided'
      ? `const v${j} = in${j}[b${j} + j * s${j}];`
      : a === 'contiguous'
        ? `const v${j} = in${j}[b${j} + j];`
        : '',
  );
  const body = [
    ...head,
    ...hoisted,
    'let k = 0;',
    'for (let r = 0; r < rows; r++) {',
    ...rowStart,
    '  for (let j = 0; j < len; j++, k++) {',
    ...loads,
    ...lines,
    ...values.map((v, i) => `    out${i}[k] = ${v};`),
    '  }',
    '}',
  ].join('\n');
  return new Function('lib', 'outs', 'ins', 'offsets', 'steps', 'p', 'rows', 'len', body) as MapFn;
}
