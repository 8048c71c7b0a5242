// Patchers that need no model: static (fixed size), space-like bytes, BPE delimiters.
import { BPE_ID, OFFSET } from '../bytes.js';
import { PatchingError } from '../errors.js';
import { checkMaxLength, type Patches, patchesFromStarts } from './lengths.js';

/** Patches of `patchSize` over `length` positions, the last shorter (the reference's static mode). */
export function staticPatches(length: number, patchSize: number): Patches {
  if (!Number.isInteger(length) || length < 0)
    throw new PatchingError(`staticPatches: length must be a non-negative integer, got ${length}`);
  if (!Number.isInteger(patchSize) || patchSize < 1)
    throw new PatchingError(`staticPatches: patchSize must be a positive integer, got ${patchSize}`);
  const starts = Array.from({ length: Math.ceil(length / patchSize) }, (_, i) => i * patchSize);
  return patchesFromStarts(starts, length);
}

/**
 * A byte ends a patch in space mode when it is not an ASCII letter or digit (or is a UTF-8 lead
 * byte ≥ 0xC0), except right after another such byte (runs collapse); special ids always end one.
 * Compared with the ids as the reference does (id − OFFSET), on the original mask.
 */
function spaceEnds(ids: ArrayLike<number>): boolean[] {
  const raw = Array.from({ length: ids.length }, (_, i) => {
    const b = ids[i] - OFFSET;
    return b < 48 || (57 < b && b < 65) || (90 < b && b < 97) || (122 < b && b < 128) || b >= 192;
  });
  return raw.map((e, i) => (i > 0 ? e && !raw[i - 1] : e) || ids[i] < OFFSET);
}

/** The reference's space patching: ids 0 and 1 start patches, then every id after a patch end. */
export function spacePatches(ids: ArrayLike<number>, options: { maxPatchLength?: number } = {}): Patches {
  checkMaxLength('spacePatches', options.maxPatchLength);
  const ends = spaceEnds(ids);
  const starts = [0, 1];
  for (let k = 2; k < ids.length; k++) if (ends[k - 1]) starts.push(k);
  return patchesFromStarts(starts, ids.length, options.maxPatchLength);
}

/** Patches that end at each delimiter id (BLT's `bpe` mode); ids 0 and 1 always start. */
export function bpePatches(
  ids: ArrayLike<number>,
  options: { delimiter?: number; maxPatchLength?: number } = {},
): Patches {
  checkMaxLength('bpePatches', options.maxPatchLength);
  const delim = options.delimiter ?? BPE_ID;
  const starts = new Set([0, 1]);
  for (let y = 0; y + 1 < ids.length; y++) if (ids[y] === delim) starts.add(y + 1);
  return patchesFromStarts(
    [...starts].sort((a, b) => a - b),
    ids.length,
    options.maxPatchLength,
  );
}
