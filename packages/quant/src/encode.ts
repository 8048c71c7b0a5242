/**
 * Blockwise encoding exactly as bitsandbytes' reference quantizer (its torch "default" backend,
 * bitsandbytes/backends/default/ops.py L180-197 `quantize_blockwise` and L226-260 `quantize_4bit`,
 * commit 95f9af309d4d; transcribed in tools/fixtures/gen_quant_bnb.py). Per block of `blockSize`:
 * absmax = max |x|, clamped to float32(1e-38) in a shorter last block; the scaled value is
 * s = f32(x · f32(1 / max(absmax, 1e-38))) in a full block and s = f32(x / absmax) in the shorter last
 * block; the code is the {@link bucket} of s (the number of code midpoints strictly below it). The
 * [−1, 1] clamp bitsandbytes applies to s changes no bucket, so it is left out.
 */
import { bucket, type Encoder } from './codebooks.js';

const f32 = Math.fround;

/** The floor bitsandbytes puts under a block's absmax before scaling by it: float32(1e-38). */
export const ABSMAX_FLOOR = f32(1e-38);

/** The factor a full block is multiplied by: f32(1 / max(absmax, 1e-38)). */
export const reciprocalOf = (absmax: number): number => f32(1 / Math.max(absmax, ABSMAX_FLOOR));

/**
 * Per-block absolute maxima as bitsandbytes stores them: max |x| per block of `blockSize`; a
 * shorter last block's is clamped to 1e-38 (so an all-zero one stores 1e-38, an all-zero full block 0).
 */
export function blockAbsmax(x: ArrayLike<number>, blockSize: number): Float32Array {
  const out = new Float32Array(Math.ceil(x.length / blockSize));
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]);
    const b = (i / blockSize) | 0;
    if (a > out[b]) out[b] = a;
  }
  if (x.length % blockSize) out[out.length - 1] = Math.max(out[out.length - 1], ABSMAX_FLOOR);
  return out;
}

/** The value bitsandbytes buckets for x in a block with this (stored) absmax; `short`: the shorter last block. */
export const scaledValue = (x: number, absmax: number, short: boolean): number =>
  short ? f32(x / Math.max(absmax, ABSMAX_FLOOR)) : f32(x * reciprocalOf(absmax));

/**
 * The code of every element of x given its blocks' absmax (from {@link blockAbsmax}); with `pad`, one
 * more code for a scaled 0 (bitsandbytes pads an odd 4-bit tensor with it before packing).
 */
export function encodeBlocks(
  x: ArrayLike<number>,
  absmax: ArrayLike<number>,
  blockSize: number,
  enc: Encoder,
  pad = false,
): Uint8Array {
  const n = x.length;
  const codes = new Uint8Array(n + (pad ? 1 : 0));
  const shortFrom = n - (n % blockSize);
  const { bounds, codes: book } = enc;
  for (let b = 0; b * blockSize < n; b++) {
    const start = b * blockSize;
    const end = Math.min(n, start + blockSize);
    const short = start >= shortFrom;
    const r = reciprocalOf(absmax[b]);
    for (let i = start; i < end; i++) {
      const s = short ? scaledValue(x[i], absmax[b], true) : f32(x[i] * r);
      // bucket(enc, s), inlined: this loop runs once per element.
      let lo = 0;
      let hi = bounds.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (bounds[mid] < s) lo = mid + 1;
        else hi = mid;
      }
      codes[i] = book[lo];
    }
  }
  if (pad) codes[n] = bucket(enc, 0);
  return codes;
}

/** Two 4-bit codes per byte, element 2j in the high nibble (bitsandbytes' order); an odd count ends in a 0 nibble. */
export function pack4(codes: Uint8Array): Uint8Array {
  const packed = new Uint8Array(Math.ceil(codes.length / 2));
  for (let j = 0; j < packed.length; j++) packed[j] = (codes[2 * j] << 4) | (codes[2 * j + 1] ?? 0);
  return packed;
}
