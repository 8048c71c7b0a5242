import { PatchingError } from './errors.js';
import { type EntropyPatchOptions, entropyPatches } from './patchers/entropy.js';

/**
 * The global threshold θ whose entropy patches have mean size `target` (total positions / patches)
 * over `rows` of entropies, by bisection (mean size grows with θ). Other options (monotonic,
 * maxPatchLength) apply as given.
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
  let lo = 0;
  let hi = 0;
  for (const r of rows) for (let i = 0; i < r.length; i++) hi = Math.max(hi, r[i]);
  for (let it = 0; it < 50; it++) {
    const mid = (lo + hi) / 2;
    if (mean(mid) < target) lo = mid;
    else hi = mid;
  }
  return { threshold: hi, meanPatchSize: mean(hi) };
}
