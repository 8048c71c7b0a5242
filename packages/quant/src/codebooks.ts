import { checkOneOf, fail, show } from './checks.js';
import { fmaF32 } from './f32.js';

/** The 4-bit data types, with bitsandbytes' names. */
export type FourBitType = 'nf4' | 'fp4' | 'int4';
/** Every 4-bit type. */
export const FOUR_BIT_TYPES: readonly FourBitType[] = ['nf4', 'fp4', 'int4'];

const f32 = Math.fround;

/** NormalFloat4 (QLoRA): quantiles of N(0, 1) scaled to [−1, 1], as bitsandbytes ships them. Index = code. */
export const NF4_CODE: Float32Array = Float32Array.from([
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
  -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
  0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
]);

/**
 * bitsandbytes' FP4 (E2M1): bit 3 is the sign, bits 0–2 index the magnitudes
 * [0, 0.0625, 8, 12, 4, 6, 2, 3] / 12. Index = code. Code 8 is +0, as in bitsandbytes' `get_4bit_type`
 * (its list spells it as the Python int −0, which is 0).
 */
export const FP4_CODE: Float32Array = (() => {
  const mags = [0, 0.0625, 8, 12, 4, 6, 2, 3].map((m) => f32(m / 12));
  return Float32Array.from({ length: 16 }, (_, c) => (c & 8 ? -mags[c & 7] + 0 : mags[c & 7]));
})();

/** Symmetric Int4: code c stands for (c − 8) / 7, so −7..7 are used and 0 is exact (code 0 = −8/7 is never produced). */
export const INT4_CODE: Float32Array = Float32Array.from({ length: 16 }, (_, c) => f32((c - 8) / 7));

/** The code book of a 4-bit type. */
export const codeBook = (type: FourBitType): Float32Array =>
  ({ nf4: NF4_CODE, fp4: FP4_CODE, int4: INT4_CODE })[checkOneOf('codeBook', 'type', type, FOUR_BIT_TYPES)];

/**
 * torch.linspace in float32 as ATen 1.13's CPU kernel computes it (RangeFactoriesKernel.cpp
 * `linspace_kernel`): element i is start + step·i below the halfway index and end − step·(n − 1 − i)
 * from there, each a fused multiply-add in the compiled kernel; but runs of 16 elements are filled as
 * two 8-lane vectors, `Vectorized::arange(base, step)`, lane j = base + j·step with two roundings,
 * from each vector's first element. This gives PyTorch's float32 values, which bitsandbytes' map
 * inherits, bit for bit (tested against torch 1.13 on 500 ranges).
 */
function linspaceF32(start: number, end: number, steps: number): number[] {
  const [a, b] = [f32(start), f32(end)];
  const step = f32(f32(b - a) / (steps - 1));
  const half = Math.floor(steps / 2);
  const scalar = (i: number) => (i < half ? fmaF32(step, i, a) : fmaF32(-step, steps - 1 - i, b));
  const out: number[] = [];
  const LANES = 8;
  let i = 0;
  // Loops.h vectorized_loop: two vectors per iteration while 16 elements remain, then one at a time.
  for (; i + 2 * LANES <= steps; i += 2 * LANES) {
    for (const first of [i, i + LANES]) {
      const base = scalar(first);
      for (let j = 0; j < LANES; j++) out.push(f32(base + f32(j * step)));
    }
  }
  for (; i < steps; i++) out.push(scalar(i));
  return out;
}

/**
 * bitsandbytes' signed "dynamic" 8-bit code (Dettmers 2015): for exponents 10⁻⁶ … 10⁰, 2ⁱ
 * fraction values each (the means of a linear grid on [0.1, 1]), both signs, plus 0 and 1; 256
 * values, sorted. Used to quantize absmax values in double quantization.
 */
export const DYNAMIC_CODE: Float32Array = (() => {
  const maxExponentBits = 7;
  const values: number[] = [];
  for (let i = 0; i < maxExponentBits; i++) {
    const bounds = linspaceF32(0.1, 1, 2 ** i + 1);
    // A Python float times a float32 tensor: the scale is rounded to f32 first.
    const scale = f32(10 ** (-(maxExponentBits - 1) + i));
    for (let k = 0; k + 1 < bounds.length; k++) {
      const mean = f32(f32(bounds[k] + bounds[k + 1]) / 2);
      values.push(f32(scale * mean), f32(-scale * mean));
    }
  }
  values.push(0, 1);
  return Float32Array.from(values.sort((a, b) => a - b));
})();

/**
 * A code book as bitsandbytes buckets into it: `bounds`, the f32 midpoints (v[i] + v[i + 1]) / 2 of
 * the code values sorted ascending (stable, so FP4's +0 of code 0 precedes that of code 8), and
 * `codes[i]`, the code of a scaled value with exactly i bounds strictly below it (torch.bucketize).
 */
export interface Encoder {
  readonly bounds: Float32Array;
  readonly codes: Uint8Array;
}

const ENCODERS = new Map<FourBitType | 'dynamic8', Encoder>();

/**
 * The {@link Encoder} of a 4-bit type or of the dynamic 8-bit map (`dynamic8`), as bitsandbytes'
 * `_get_4bit_quantize_bounds` and `quantize_blockwise` build it. Int4 leaves out code 0 (−8/7).
 */
export function encoder(type: FourBitType | 'dynamic8'): Encoder {
  let e = ENCODERS.get(type);
  if (e) return e;
  checkOneOf('encoder', 'type', type, [...FOUR_BIT_TYPES, 'dynamic8']);
  const book = type === 'dynamic8' ? DYNAMIC_CODE : codeBook(type);
  const order = [...book.keys()]
    .filter((c) => type !== 'int4' || c > 0)
    .sort((a, b) => book[a] - book[b] || a - b);
  const bounds = Float32Array.from(order.slice(1), (c, i) => f32(f32(book[order[i]] + book[c]) / 2));
  e = { bounds, codes: Uint8Array.from(order) };
  ENCODERS.set(type, e);
  return e;
}

/** The code of a scaled value `s`: codes[number of bounds strictly below s], by binary search. */
export function bucket(e: Encoder, s: number): number {
  let lo = 0;
  let hi = e.bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (e.bounds[mid] < s) lo = mid + 1;
    else hi = mid;
  }
  return e.codes[lo];
}

/** The 4-bit code bitsandbytes gives the scaled value `s` (x already brought to [−1, 1]). */
export function encode4(type: FourBitType, s: number): number {
  checkOneOf('encode4', 'type', type, FOUR_BIT_TYPES);
  if (typeof s !== 'number' || Number.isNaN(s)) fail(`encode4: s must be a number, got ${show(s)}`);
  return bucket(encoder(type), s);
}
