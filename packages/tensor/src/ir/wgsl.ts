import type { DType } from '../dtype.js';
import { type Exp, paramTypes } from './exp.js';
import type { Lang } from './render.js';

/** The WGSL type that holds a dtype (u8 lives in a u32). */
export const wgslType = (d: DType): 'f32' | 'i32' | 'u32' =>
  d === 'f32' ? 'f32' : d === 'i32' ? 'i32' : 'u32';

/**
 * A WGSL literal of `d`. WGSL rejects NaN and infinities in constant expressions, so those come
 * from the math library's functions (which hide the bits in a `var`).
 */
export function wgslLiteral(v: number, d: DType): string {
  if (d === 'f32') {
    if (Number.isNaN(v)) return 'nan_f()';
    if (v === Number.POSITIVE_INFINITY) return 'pos_inf()';
    if (v === Number.NEGATIVE_INFINITY) return 'neg_inf()';
    const f = Math.fround(v);
    if (Object.is(f, -0)) return '-0.0f';
    const s = String(f);
    return `${s}${/[.e]/.test(s) ? '' : '.0'}f`;
  }
  if (d === 'i32') return v === -2147483648 ? 'i32(-2147483647 - 1)' : `${v | 0}i`;
  return `${v >>> 0}u`;
}

/** A WGSL cast: floats truncate toward zero through i32, integers reinterpret their bits; u8 wraps. */
export function wgslCast(from: DType, to: DType, a: string): string {
  const t = wgslType(to);
  const mask = (s: string) => (to === 'u8' && from !== 'u8' ? `(${s} & 255u)` : s);
  if (from === 'f32' && to !== 'f32') return mask(`${t}(i32(trunc(${a})))`);
  if (from !== 'f32' && to !== 'f32' && wgslType(from) !== t) return mask(`bitcast<${t}>(${a})`);
  return mask(`${t}(${a})`);
}

/** A parameter word read as a value of `d` (`word` is WGSL source of the u32 word). */
export function wgslWord(word: string, d: DType): string {
  return d === 'f32' ? `bitcast<f32>(${word})` : d === 'i32' ? `bitcast<i32>(${word})` : word;
}

/** The parts of {@link Lang} that are the same for every WGSL kernel. */
export const wgslLang = (leaf: (e: Exp) => string): Lang => ({
  leaf: (e) => (e.op === 'const' ? wgslLiteral(e.arg, e.dtype) : leaf(e)),
  cast: wgslCast,
  bind: (name, dtype, value) => `let ${name}: ${wgslType(dtype)} = ${value};`,
  alu: 'wgsl',
});

/**
 * The {@link Lang} of a kernel that holds input slot j in local `v<j>`, reads param slot k from
 * parameter word `paramBase + k`, and has the element's index in `index` (when undefined, an
 * expression reading the index is an internal error).
 */
export const slotLang = (paramBase: number, index?: string): Lang =>
  wgslLang((e) => {
    if (e.op === 'input') return `v${e.arg}`;
    if (e.op === 'param') return wgslWord(`m(${paramBase + e.arg}u)`, e.dtype);
    if (e.op === 'index' && index !== undefined) return index;
    throw new Error(`internal: this kernel cannot read '${e.op}'`);
  });

/** The parameter words holding `params`, each typed as its param slot in `exps`. */
export const paramWords = (exps: Exp | readonly Exp[], params: readonly number[]): number[] => {
  const types = paramTypes(exps);
  return params.map((v, k) => paramWord(v, types[k]));
};

/** Bit pattern of a number as a parameter word of `d`. */
export function paramWord(v: number, d: DType): number {
  if (d === 'f32') return new Uint32Array(new Float32Array([v]).buffer)[0];
  return v >>> 0;
}
