import type { DType, TypedArray } from '../dtype.js';
import { paramTypes } from './exp.js';
import { jsLang, lib } from './js.js';
import { renderExps } from './render.js';
import { ROW, type RowProgram, readsFirst } from './rows.js';

/**
 * Runs a row program over `rows` rows of `len` elements: element j of row o is read at
 * `src[srcOffs[o·len + j]]` and written at `dst[dstOffs[o·len + j]]`.
 */
type RowFn = (
  l: typeof lib,
  src: TypedArray,
  dst: TypedArray,
  srcOffs: Int32Array,
  dstOffs: Int32Array,
  rows: number,
  len: number,
  p: number[],
) => void;

/** Each program's compiled loop and the dtypes of its param slots, made on its first run. */
const compiled = new WeakMap<RowProgram, { fn: RowFn; types: DType[] }>();

/** JavaScript of a row program's pieces: input 0 is `v0`, acc slot s is `a<s>`, param k is `p[k]`. */
const lang = jsLang((e) => (e.op === 'input' ? 'v0' : e.op === 'acc' ? `a${e.arg}` : `p[${e.arg}]`));

/**
 * The statistic of a row, as JavaScript statements leaving it in `sx`, `sy`. The pairs accumulate
 * in doubles; online softmax runs as two passes (the maximum, then Σ weight·exp(value − max)), an
 * all −inf row giving Σ = 0 as the one-pass combination does.
 */
function combineJs(p: RowProgram, point: string[], px: string, py: string): string[] {
  const each = (body: string) => [
    'for (let j = 0; j < len; j++) {',
    'const v0 = src[srcOffs[base + j]];',
    ...point,
    body,
    '}',
  ];
  const start = `let sx = ${p.init[0]}, sy = ${p.init[1]};`;
  if (p.combine === 'sum') return [start, ...each(`sx += ${px}; sy += ${py};`)];
  return [
    start,
    ...each(`sx = lib.maximum(sx, ${px});`),
    'if (sx !== -Infinity) {',
    ...each(`sy += ${py} * Math.exp(${px} - sx);`),
    '}',
  ];
}

function compile(p: RowProgram): RowFn {
  const point = renderExps(p.point, lang, 't');
  const finish = renderExps(p.finish, lang, 'u');
  const apply = renderExps([p.apply], lang, 'w');
  const body = [
    'for (let o = 0; o < rows; o++) {',
    'const base = o * len;',
    readsFirst(p) ? `const a${ROW.first} = src[srcOffs[base]];` : '',
    ...combineJs(p, point.lines, point.values[0], point.values[1]),
    `const a${ROW.statX} = Math.fround(sx), a${ROW.statY} = Math.fround(sy), a${ROW.len} = len;`,
    ...finish.lines,
    ...finish.values.map((v, i) => `const a${ROW.finish + i} = ${v};`),
    'for (let j = 0; j < len; j++) {',
    'const v0 = src[srcOffs[base + j]];',
    ...apply.lines,
    `dst[dstOffs[base + j]] = ${apply.values[0]};`,
    '}',
    '}',
  ].join('\n');
  return new Function('lib', 'src', 'dst', 'srcOffs', 'dstOffs', 'rows', 'len', 'p', body) as RowFn;
}

/** Compiles (once per program) and runs a row program over rows gathered by offsets. */
export function runRowProgram(
  program: RowProgram,
  src: TypedArray,
  dst: TypedArray,
  srcOffs: Int32Array,
  dstOffs: Int32Array,
  len: number,
  params: number[],
): void {
  let c = compiled.get(program);
  if (!c) {
    c = { fn: compile(program), types: paramTypes([...program.finish, program.apply]) };
    compiled.set(program, c);
  }
  const { fn, types } = c;
  const rows = len === 0 ? 0 : srcOffs.length / len;
  // Param slots hold values of their dtype: an f32 slot's value rounded as the GPU's f32 word is.
  fn(
    lib,
    src,
    dst,
    srcOffs,
    dstOffs,
    rows,
    len,
    params.map((v, k) => (types[k] === 'f32' ? Math.fround(v) : v)),
  );
}
