import type { ParamScalar } from '@tessera/gpu';
import { type DType, isFloat, storageOf, wrapScalar } from '../dtype.js';
import { type Exp, paramTypes } from './exp.js';
import type { Lang } from './render.js';

/** The WGSL type that holds a dtype (u8 and bool live in a u32, f16 values in an f32). */
export const wgslType = (d: DType): 'f32' | 'i32' | 'u32' => {
  const s = storageOf(d);
  return s === 'f32' ? 'f32' : s === 'i32' ? 'i32' : 'u32';
};

/**
 * A WGSL literal of `d`. WGSL rejects NaN and infinities in constant expressions, so those come
 * from the math library's functions (which hide the bits in a `var`).
 */
export function wgslLiteral(v: number, d: DType): string {
  if (isFloat(d)) {
    const f = wrapScalar(v, d);
    if (Number.isNaN(f)) return 'nan_f()';
    if (f === Number.POSITIVE_INFINITY) return 'pos_inf()';
    if (f === Number.NEGATIVE_INFINITY) return 'neg_inf()';
    if (Object.is(f, -0)) return '-0.0f';
    const s = String(f);
    return `${s}${/[.e]/.test(s) ? '' : '.0'}f`;
  }
  if (d === 'i32') return v === -2147483648 ? 'i32(-2147483647 - 1)' : `${v | 0}i`;
  return `${v >>> 0}u`;
}

/**
 * A WGSL cast: floats truncate toward zero through i32, integers reinterpret their bits; u8 wraps;
 * f16 rounds to half (`f16_round` of the math library); bool is 1 for nonzero (NaN included).
 */
export function wgslCast(from: DType, to: DType, a: string): string {
  if (from === to) return a;
  if (to === 'bool') return `select(0u, 1u, ${a} != ${wgslLiteral(0, from)})`;
  if (to === 'f16') return `f16_round(${wgslCast(from, 'f32', a)})`;
  if (from === 'f16') return wgslCast('f32', to, a);
  if (from === 'bool') return wgslCast('u8', to, a);
  const t = wgslType(to);
  const mask = (s: string) => (to === 'u8' && from !== 'u8' ? `(${s} & 255u)` : s);
  if (from === 'f32' && to !== 'f32') return mask(`${t}(i32(trunc(${a})))`);
  if (from !== 'f32' && to !== 'f32' && wgslType(from) !== t) return mask(`bitcast<${t}>(${a})`);
  return mask(`${t}(${a})`);
}

/** The parts of {@link Lang} that are the same for every WGSL kernel. */
export const wgslLang = (leaf: (e: Exp) => string): Lang => ({
  leaf: (e) => (e.op === 'const' ? wgslLiteral(e.arg, e.dtype) : leaf(e)),
  cast: wgslCast,
  bind: (name, dtype, value) => `let ${name}: ${wgslType(dtype)} = ${value};`,
  alu: 'wgsl',
});

/**
 * The {@link Lang} of a kernel that holds input slot j in local `v<j>`, reads param slot k as
 * `param(k, dtype)` (WGSL of a value of that dtype), and has the element's index in `index` (when
 * undefined, an expression reading the index is an internal error).
 */
export const slotLang = (param: (slot: number, dtype: DType) => string, index?: string): Lang =>
  wgslLang((e) => {
    if (e.op === 'input') return `v${e.arg}`;
    if (e.op === 'param') return param(e.arg, e.dtype);
    if (e.op === 'index' && index !== undefined) return index;
    throw new Error(`internal: this kernel cannot read '${e.op}'`);
  });

/** The 32-bit words holding `params`, each typed as its param slot in `exps` (the generated WebAssembly kernels read them). */
export const paramWords = (exps: Exp | readonly Exp[], params: readonly number[]): number[] => {
  const types = paramTypes(exps);
  return params.map((v, k) => paramWord(v, types[k]));
};

/** Bit pattern of a number as a parameter word of `d`. */
export function paramWord(v: number, d: DType): number {
  if (isFloat(d)) return new Uint32Array(new Float32Array([v]).buffer)[0];
  return v >>> 0;
}

/** The name of param slot k's field in a declared parameter block (`<prefix>p<k>`: kernels reading several expressions prefix each). */
export const paramField = (slot: number, prefix = ''): string => `${prefix}p${slot}`;

/** Parameter-block fields for the param slots of `exps`: `<prefix>p<k>`, typed as the slot (u8 and bool in a u32, f16 in an f32). */
export function paramFields(exps: Exp | readonly Exp[], prefix = ''): Record<string, ParamScalar> {
  const fields: Record<string, ParamScalar> = {};
  paramTypes(exps).forEach((d, k) => {
    fields[paramField(k, prefix)] = wgslType(d);
  });
  return fields;
}

/**
 * The values of {@link paramFields}: each param as its slot's type stores it (integers wrap to 32
 * bits as a cast would: −1 as u32 is 4294967295), the same bits {@link paramWord} gives.
 */
export function paramValues(
  exps: Exp | readonly Exp[],
  params: readonly number[],
  prefix = '',
): Record<string, number> {
  const types = paramTypes(exps);
  const values: Record<string, number> = {};
  params.forEach((v, k) => {
    const t = wgslType(types[k]);
    values[paramField(k, prefix)] = t === 'f32' ? v : t === 'i32' ? v | 0 : v >>> 0;
  });
  return values;
}
