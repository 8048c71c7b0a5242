// Entropy patching as facebookresearch/blt bytelatent/data/patcher.py (commit 1ca0e04)
// find_entropy_patch_start_ids with include_next_token = False: ids 0 and 1 always start a patch;
// id p ≥ 2 starts one when the entropy computed at p − 1 (which predicts p) passes the rule.
import { PatchingError } from '../errors.js';
import { checkMaxLength, type Patches, patchesFromStarts } from './lengths.js';

/** How entropies decide patch starts. */
export interface EntropyPatchOptions {
  /**
   * Global threshold θ (nats): id p starts a patch when H(p−1) > θ. Reference default 1.335442066192627.
   * Compared in float32, as the reference's tensors are (θ = 0.1 is the float32 nearest 0.1).
   */
  threshold?: number;
  /** With `threshold`: also require H(p−1) − H(p−2) > thresholdAdd (the reference's combined mode; float32). */
  thresholdAdd?: number;
  /** Monotonic mode: H(p−1) − H(p−2) > threshold instead of H(p−1) > threshold (difference in float32). */
  monotonic?: boolean;
  /** Without a threshold: the len/patchSize − 2 highest entropies start patches (not causal). */
  patchSize?: number;
  /** Longer patches are split into pieces of this length (remainder last). */
  maxPatchLength?: number;
}

/** Validates options, naming the bad one. */
export function checkEntropyOptions(what: string, o: EntropyPatchOptions): void {
  for (const key of ['threshold', 'thresholdAdd'] as const) {
    const v = o[key];
    if (v !== undefined && !(Number.isFinite(v) && v >= 0))
      throw new PatchingError(`${what}: ${key} must be a finite number ≥ 0, got ${v}`);
  }
  if (o.threshold === undefined) {
    if (o.patchSize === undefined)
      throw new PatchingError(`${what}: give a threshold, or a patchSize for top-k patching`);
    if (!(Number.isFinite(o.patchSize) && o.patchSize > 0))
      throw new PatchingError(`${what}: patchSize must be a positive number, got ${o.patchSize}`);
    if (o.monotonic || o.thresholdAdd !== undefined)
      throw new PatchingError(`${what}: monotonic and thresholdAdd need a threshold`);
  }
  checkMaxLength(what, o.maxPatchLength);
}

// The reference's entropies are a float32 tensor, and torch compares it with a Python-float threshold
// in float32 (the scalar is rounded to the tensor's dtype): every entropy, difference and threshold
// below is rounded to float32 as it is there, so a θ equal to a float32-rounded value decides alike.
const f32 = Math.fround;

/**
 * Whether id p (≥ 2) starts a patch under a threshold rule. The reference works on e = entropies[1:]
 * with mask index j = p − 2. Its monotonic and combined masks set mask[0] = True, so id 2 always
 * starts a patch there; its combined mode tests ~mask[j − 1] on the mask before it is filled (only
 * mask[0] is set), so id 3 never starts one. Both reproduced as the code behaves. Values, their
 * differences and the thresholds are compared in float32, as the reference's tensors are.
 */
export function startsAt(p: number, entropies: ArrayLike<number>, o: EntropyPatchOptions): boolean {
  const j = p - 2;
  const e = (k: number) => f32(entropies[k + 1]);
  // H(p−1) − H(p−2) as torch subtracts two float32 tensors: the exact difference rounded once.
  const rise = () => f32(e(j) - e(j - 1));
  const t = f32(o.threshold!);
  if (o.monotonic) return j === 0 || rise() > t;
  if (o.thresholdAdd !== undefined)
    return j !== 0 && j !== 1 ? rise() > f32(o.thresholdAdd) && e(j) > t : j === 0;
  return e(j) > t;
}

function topkStarts(entropies: ArrayLike<number>, length: number, patchSize: number): number[] {
  const k = Math.floor(length / patchSize) - 2;
  const candidates = Array.from({ length: Math.max(0, length - 1) }, (_, j) => j);
  if (k > candidates.length)
    throw new PatchingError(
      `entropyPatches: top-k needs ${k} of ${candidates.length} entropies (length ${length}, patchSize ${patchSize})`,
    );
  // Highest float32 entropies first; ties to the earlier position (torch.topk leaves ties unspecified).
  candidates.sort((a, b) => f32(entropies[b + 1]) - f32(entropies[a + 1]) || a - b);
  return candidates
    .slice(0, Math.max(0, k))
    .map((j) => j + 2)
    .sort((a, b) => a - b);
}

/**
 * Patches of one row from its entropies (entropy i predicts id i + 1; one per id). The reference's
 * modes: global threshold, monotonic, both thresholds, or top-k by `patchSize`; then an optional
 * maximum length. A row of length 0 has no patch; 1 has one.
 */
export function entropyPatches(entropies: ArrayLike<number>, options: EntropyPatchOptions): Patches {
  checkEntropyOptions('entropyPatches', options);
  const n = entropies.length;
  for (let i = 0; i < n; i++)
    if (Number.isNaN(entropies[i])) throw new PatchingError(`entropyPatches: entropies[${i}] is NaN`);
  let starts: number[];
  if (options.threshold === undefined) starts = [0, 1, ...topkStarts(entropies, n, options.patchSize!)];
  else {
    starts = [0, 1];
    // include_next_token = False: the last entropy (about the id after the row) is not used.
    for (let p = 2; p < n; p++) if (startsAt(p, entropies, options)) starts.push(p);
  }
  return patchesFromStarts(
    [...new Set(starts)].filter((s) => s < Math.max(n, 1)),
    n,
    options.maxPatchLength,
  );
}

/** {@link entropyPatches} for each row of a batch; rows never see each other's entropies. */
export const entropyPatchesBatch = (rows: ArrayLike<number>[], options: EntropyPatchOptions): Patches[] =>
  rows.map((r) => entropyPatches(r, options));
