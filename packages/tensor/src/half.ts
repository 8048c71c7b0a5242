/**
 * IEEE 754 binary16 ("half", PyTorch's `float16`) rounding. JavaScript before `Float16Array` has
 * no half type, so f16 tensors hold their values in float32 words, each a half value: these round
 * a number to the nearest half, ties to even, as PyTorch's float → half conversion does.
 */

const word = new Float32Array(1);
const bits = new Uint32Array(word.buffer);

/** Largest finite half, 65504. */
export const HALF_MAX = 65504;

/**
 * `x` rounded to float32 and then to the nearest half value, ties to even: ±inf past 65504 (from
 * 65520 up, the midpoint to 2¹⁶), half subnormals below 2⁻¹⁴ (steps of 2⁻²⁴), −0, NaN and ±inf kept.
 */
export function roundHalf(x: number): number {
  word[0] = x;
  const b = bits[0];
  const sign = b & 0x80000000;
  const a = b & 0x7fffffff;
  if (a >= 0x7f800000) return word[0]; // NaN, ±inf
  if (a >= 0x477ff000) return sign ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (a < 0x38800000) {
    // Below 2⁻¹⁴: q units of 2⁻²⁴. x = m·2^(e − 150), so q = m >> (126 − e), ties to even.
    const e = a >>> 23;
    if (e < 102) return sign ? -0 : 0;
    const s = 126 - e;
    const m = (a & 0x7fffff) | 0x800000;
    let q = m >>> s;
    const rem = m & ((1 << s) - 1);
    const half = 1 << (s - 1);
    if (rem > half || (rem === half && (q & 1) === 1)) q++;
    const v = q * 2 ** -24;
    return sign ? -v : v;
  }
  // A normal half keeps 10 of float32's 23 fraction bits: drop 13, ties to even.
  const lsb = (a >>> 13) & 1;
  bits[0] = (sign | ((a + 0xfff + lsb) & ~0x1fff)) >>> 0;
  return word[0];
}
