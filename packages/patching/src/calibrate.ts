import { PatchingError } from './errors.js';
import { type EntropyPatchOptions, entropyPatches } from './patchers/entropy.js';

const f32 = Math.fround;
const word = new DataView(new ArrayBuffer(4));
const bitsOfFloat32 = (v: number) => {
  word.setFloat32(0, v);
  return word.getUint32(0);
};
const float32FromBits = (bits: number) => {
  word.setUint32(0, bits);
  return word.getFloat32(0);
};

/**
 * The global threshold θ whose entropy patches have mean size `target` (total positions / patches)
 * over `rows` of entropies, by bisection (mean size grows with θ). Other options (monotonic,
 * maxPatchLength) apply as given. θ is a float32 value: the patchers compare in float32, so it is
 * exactly the threshold they apply (printing or saving it loses nothing).
 */
export function calibrateThreshold(
  rows: ArrayLike<number>[],
  target: number,
  options: Omit<EntropyPatchOptions, 'threshold' | 'patchSize'> = {},
): { threshold: number; meanPatchSize: number } {
  if (!(Number.isFinite(target) && target >= 1))
    throw new PatchingError(`calibrateThreshold: target must be a number ≥ 1, got ${target}`);
  const total = rows.reduce((n, r) => n + r.length, 0);
  if (total === 0) throw new PatchingError('calibrateThreshold: no entropies given');
  const mean = (threshold: number) => {
    const patches = rows.reduce((n, r) => n + entropyPatches(r, { ...options, threshold }).starts.length, 0);
    return total / patches;
  };
  // At or above every entropy and every rise between neighbours no id starts a patch past the first
  // two: the largest mean size there is.
  let top = 0;
  for (const r of rows)
    for (let i = 0; i < r.length; i++)
      top = Math.max(top, f32(r[i]), i > 0 ? f32(f32(r[i]) - f32(r[i - 1])) : 0);
  // Bisect over float32 values, the only ones the patchers tell apart: a non-negative float32's bit
  // pattern orders like its value, so ≤ 32 halvings of [0, bits(top)] find the smallest θ that works.
  let lo = 0;
  let hi = bitsOfFloat32(top);
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (mean(float32FromBits(mid)) < target) lo = mid;
    else hi = mid;
  }
  const threshold = mean(float32FromBits(lo)) >= target ? float32FromBits(lo) : float32FromBits(hi);
  return { threshold, meanPatchSize: mean(threshold) };
}
