// Shared by every patcher: the reference's patch_lengths_from_start_ids / split_large_numbers,
// per row (the reference pads rows to a common width; `padLengths` gives that form back).
import { PatchingError } from '../errors.js';

/** One row's patches: start offsets (ascending) and lengths (summing to the row length). */
export interface Patches {
  starts: Int32Array;
  lengths: Int32Array;
}

/**
 * Patches from sorted start ids covering `length` positions: each patch runs to the next start.
 * Zero-length patches (a start repeated, or one at `length`) are dropped.
 */
export function patchesFromStarts(
  starts: ArrayLike<number>,
  length: number,
  maxPatchLength?: number,
): Patches {
  const lengths: number[] = [];
  const out: number[] = [];
  for (let i = 0; i < starts.length; i++) {
    const s = starts[i];
    const end = i + 1 < starts.length ? Math.min(starts[i + 1], length) : length;
    let n = end - s;
    if (n <= 0) continue;
    let at = s;
    // split_large_numbers: full-size pieces from the patch start, the remainder last.
    while (maxPatchLength && n > maxPatchLength) {
      out.push(at);
      lengths.push(maxPatchLength);
      at += maxPatchLength;
      n -= maxPatchLength;
    }
    out.push(at);
    lengths.push(n);
  }
  return { starts: Int32Array.from(out), lengths: Int32Array.from(lengths) };
}

/** Lengths of many rows right-padded with zeros to one width, as the reference's Patcher.patch returns them. */
export function padLengths(rows: Patches[]): number[][] {
  const width = Math.max(0, ...rows.map((r) => r.lengths.length));
  return rows.map((r) => [...r.lengths, ...new Array(width - r.lengths.length).fill(0)]);
}

/** Checks an optional max patch length. */
export function checkMaxLength(what: string, m: number | undefined): void {
  if (m !== undefined && !(Number.isInteger(m) && m >= 1))
    throw new PatchingError(`${what}: maxPatchLength must be a positive integer, got ${m}`);
}
