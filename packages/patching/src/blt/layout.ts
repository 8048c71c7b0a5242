// Where bytes sit in patches, as index tensors the model gathers with: built once per batch on the
// host from each row's patch starts.
import * as T from '@tessera/tensor';
import { PatchingError } from '../errors.js';

/** Index tensors for a batch [B, S] cut into patches. */
export interface PatchLayout {
  /** Patches per row (those starting before S), padded to the largest count. */
  patches: number;
  /** Longest patch. */
  maxLength: number;
  /** [B·P, L] i32: flat byte index (b·S + t) of each patch's bytes, 0 where padded. */
  members: T.Tensor;
  /** [B·P, L] u8: 1 where `members` is padding (a padded patch is all padding). */
  padding: T.Tensor;
  /**
   * [B·S] i32: the patch byte t's decoder reads, as an index b·(P + 1) + j into each row's patch
   * list with an empty state at j = 0: the patch before the one holding id t + 1.
   */
  reads: T.Tensor;
}

/**
 * Checks `starts` (one ascending list per row, first 0, all ≤ S) and builds the layout. A start at
 * S says that the id after the row begins a patch (the reference's include_next_token): then the
 * row's last patch is finished and its last byte's decoder reads it.
 */
export function patchLayout(starts: ArrayLike<number>[], length: number, backend: T.Backend): PatchLayout {
  const B = starts.length;
  if (!(Number.isInteger(length) && length >= 1))
    throw new PatchingError(`patchLayout: rows must hold at least one id, got length ${length}`);
  starts.forEach((row, b) => {
    if (row.length === 0 || row[0] !== 0)
      throw new PatchingError(`patchLayout: row ${b} must start a patch at 0`);
    for (let i = 1; i < row.length; i++)
      if (!(Number.isInteger(row[i]) && row[i] > row[i - 1] && row[i] <= length))
        throw new PatchingError(
          `patchLayout: row ${b} starts must ascend within 0..${length}, got ${row[i]} after ${row[i - 1]}`,
        );
  });
  const inside = starts.map((row) => Array.from(row).filter((s) => s < length));
  const P = Math.max(...inside.map((r) => r.length));
  let L = 1;
  for (const row of inside)
    for (let i = 0; i < row.length; i++) L = Math.max(L, (row[i + 1] ?? length) - row[i]);
  const members = new Int32Array(B * P * L);
  const padding = new Uint8Array(B * P * L).fill(1);
  const reads = new Int32Array(B * length);
  starts.forEach((all, b) => {
    const row = inside[b];
    for (let j = 0; j < row.length; j++) {
      const end = row[j + 1] ?? length;
      for (let t = row[j]; t < end; t++) {
        const slot = (b * P + j) * L + (t - row[j]);
        members[slot] = b * length + t;
        padding[slot] = 0;
      }
    }
    // Byte t reads patch p(t + 1) − 1, slot p(t + 1) of the list led by the empty state, where
    // p(x) + 1 is the number of starts ≤ x.
    let k = 0;
    for (let t = 0; t < length; t++) {
      while (k < all.length && all[k] <= t + 1) k++;
      reads[b * length + t] = b * (P + 1) + k - 1;
    }
  });
  return {
    patches: P,
    maxLength: L,
    members: T.tensor(members, { shape: [B * P, L], dtype: 'i32', backend }),
    padding: T.tensor(padding, { shape: [B * P, L], dtype: 'u8', backend }),
    reads: T.tensor(reads, { shape: [B * length], dtype: 'i32', backend }),
  };
}
