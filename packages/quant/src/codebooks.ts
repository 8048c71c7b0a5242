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
 * [0, 0.0625, 8, 12, 4, 6, 2, 3] / 12. Index = code.
 */
export const FP4_CODE: Float32Array = (() => {
  const mags = [0, 0.0625, 8, 12, 4, 6, 2, 3].map((m) => f32(m / 12));
  return Float32Array.from({ length: 16 }, (_, c) => (c & 8 ? -mags[c & 7] : mags[c & 7]));
})();

/** Symmetric Int4: code c stands for (c − 8) / 7, so −7..7 are used and 0 is exact (code 0 = −8/7 is never produced). */
export const INT4_CODE: Float32Array = Float32Array.from({ length: 16 }, (_, c) => f32((c - 8) / 7));

/** The code book of a 4-bit type. */
export const codeBook = (type: FourBitType): Float32Array =>
  ({ nf4: NF4_CODE, fp4: FP4_CODE, int4: INT4_CODE })[type];

/**
 * torch.linspace in float32 as ATen's CPU kernel computes it: the first half counts up from `start`,
 * the second half down from `end`, and full 8-lane vectors fill `base + j·step` from each vector's
 * first element. This reproduces PyTorch's float32 values (which bitsandbytes' map inherits) to the
 * bit for all but 4 of the map's 256 entries, which differ by one ulp (vector arithmetic details).
 */
function linspaceF32(start: number, end: number, steps: number): number[] {
  const [a, b] = [f32(start), f32(end)];
  const step = f32(f32(b - a) / (steps - 1));
  const half = Math.floor(steps / 2);
  // start + step·k with one rounding: the compiled kernel contracts it to a fused multiply-add.
  const scalar = (i: number) => (i < half ? f32(a + step * i) : f32(b - step * (steps - 1 - i)));
  const out: number[] = [];
  const LANES = 8;
  let i = 0;
  for (; i + LANES <= steps; i += LANES) {
    const base = scalar(i);
    for (let j = 0; j < LANES; j++) out.push(f32(base + f32(j * step)));
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
 * A code book as decision thresholds: the distinct values ascending, the midpoints between
 * neighbours (f32), and the code that stands for each value.
 */
export interface Encoder {
  readonly mids: Float32Array;
  readonly codes: Uint8Array;
  /** The code of 0, for all-zero blocks. */
  readonly zero: number;
}

const ENCODERS = new Map<FourBitType | 'dynamic8', Encoder>();

/** The {@link Encoder} of a 4-bit type or of the dynamic 8-bit map (`dynamic8`). */
export function encoder(type: FourBitType | 'dynamic8'): Encoder {
  let e = ENCODERS.get(type);
  if (e) return e;
  const book = type === 'dynamic8' ? DYNAMIC_CODE : codeBook(type);
  const order = [...book.keys()]
    .filter((c) => type !== 'int4' || c > 0)
    .sort((a, b) => book[a] - book[b] || a - b);
  // FP4 has +0 and −0: keep +0 (code 0), as bitsandbytes encodes zero.
  const unique = order.filter((c, i) => i === 0 || book[c] !== book[order[i - 1]]);
  const mids = Float32Array.from(unique.slice(1), (c, i) => f32(f32(book[unique[i]] + book[c]) / 2));
  e = { mids, codes: Uint8Array.from(unique), zero: unique.find((c) => book[c] === 0) ?? 0 };
  ENCODERS.set(type, e);
  return e;
}

/**
 * The code nearest to x / scale, decided without a division: the value index is the number of
 * midpoints m with f32(m · scale) < x (ties go to the lower value). Products are correctly rounded
 * in WGSL and in JS alike, divisions are not (WGSL allows 2.5 ulp), so the GPU kernels produce these
 * exact codes on every adapter.
 */
export function encodeScaled(e: Encoder, x: number, scale: number): number {
  if (scale === 0) return e.zero;
  let lo = 0;
  let hi = e.mids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (f32(e.mids[mid] * scale) < x) lo = mid + 1;
    else hi = mid;
  }
  return e.codes[lo];
}

/** The 4-bit code nearest to `x` (already divided by the block's absmax). */
export const encode4 = (type: FourBitType, x: number): number => encodeScaled(encoder(type), x, 1);
