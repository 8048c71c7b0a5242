// The fixture of tools/fixtures/gen_quant.py: bitsandbytes' reference quantizer (transcribed in
// gen_quant_bnb.py) run by PyTorch, and helpers to compare float32 values bit for bit.
import { readFileSync } from 'node:fs';
import { f32Bits } from '@tessera/tensor';
import { orderKey } from '../src/f32.js';

/** tools/fixtures/gen_quant.py: bitsandbytes' reference quantizer (gen_quant_bnb.py) run by PyTorch. */
export interface FixtureCase {
  name: string;
  type: 'nf4' | 'fp4';
  blockSize: number;
  x: number[];
  packed: number[];
  absmax?: number[];
  nested?: { codes: number[]; offset: number; absmax: number[] };
  /** The float32 value bucketed, per element (cases built around the midpoints). */
  scaled?: number[];
}
export const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/quant.json', import.meta.url), 'utf8'),
) as {
  torch: string;
  bitsandbytes: string;
  books: Record<'nf4' | 'fp4', { code: number[]; bounds: number[]; order: number[] }> & {
    dynamic: { code: number[]; bounds: number[] };
  };
  /** torch's float32 sum and mean of lcgSums(n, seed) mapped to f32((a + 1) / 12288). */
  means: { n: number; seed: number; sum: number; mean: number }[];
  cases: FixtureCase[];
};

/** gen_quant_bnb.py's `lcg_sums`: sums of four 12-bit draws of a 32-bit LCG, as the fixtures' inputs. */
export function lcgSums(n: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    let acc = 0;
    for (let k = 0; k < 4; k++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      acc += s >>> 20;
    }
    return acc;
  });
}

/** Signed count of f32 steps from `b` up to `s`. */
export const ulpSteps = (s: number, b: number): number => orderKey(f32Bits(s)) - orderKey(f32Bits(b));

/** Bit-for-bit equality of f32 values (−0 ≠ +0), as a list of the indices that differ. */
export const bitsDiffer = (got: ArrayLike<number>, want: number[]): number[] =>
  want.flatMap((w, i) => (Object.is(Math.fround(w), got[i]) ? [] : [i]));
