// Where bytes sit in patches, as index tensors the model gathers with: built once per batch on the
// host from each row's patch starts.
import * as T from '@tessera/tensor';
import { PatchingError } from '../errors.js';

/** Index tensors for a batch [B, S] cut into patches. */
export interface PatchLayout {
  /** Patches per row, padded to the largest count. */
  patches: number;
  /** Longest patch. */
  maxLength: number;
  /** [B·P, L] i32: flat byte index (b·S + t) of each patch's bytes, 0 where padded. */
  members: T.Tensor;
  /** [B·P, L] u8: 1 where `members` is padding. */
  padding: T.Tensor;
  /** [B, S] i32: index into the shifted patch list (b·(P+1) + j) that byte t's decoder reads: its patch's predecessor (0 for the first patch). */
  previous: T.Tensor;
}

/** Builds the layout of `starts` (one ascending list per row, first start 0, all < S). */
export function patchLayout(starts: ArrayLike<number>[], length: number, backend: T.Backend): PatchLayout {
  const B = starts.length;
  starts.forEach((row, b) => {
    if (row.length === 0 || row[0] !== 0)
      throw new PatchingError(`patchLayout: row ${b} must start a patch at 0`);
    for (let i = 1; i < row.length; i++)
      if (!(row[i] > row[i - 1] && row[i] < length))
        throw new PatchingError(
          `patchLayout: row ${b} starts must ascend within 0..${length - 1}, got ${row[i]} after ${row[i - 1]}`,
        );
  });
  const P = Math.max(...starts.map((r) => r.length));
  let L = 1;
  for (const row of starts)
    for (let i = 0; i < row.length; i++) L = Math.max(L, (i + 1 < row.length ? row[i + 1] : length) - row[i]);
  const members = new Int32Array(B * P * L);
  const padding = new Uint8Array(B * P * L).fill(1);
  const previous = new Int32Array(B * length);
  starts.forEach((row, b) => {
    for (let j = 0; j < row.length; j++) {
      const end = j + 1 < row.length ? row[j + 1] : length;
      for (let t = row[j]; t < end; t++) {
        const slot = (b * P + j) * L + (t - row[j]);
        members[slot] = b * length + t;
        padding[slot] = 0;
        // Slot 0 of each row's shifted list is the empty patch before the first.
        previous[b * length + t] = b * (P + 1) + j;
      }
    }
  });
  return {
    patches: P,
    maxLength: L,
    members: T.tensor(members, { shape: [B * P, L], dtype: 'i32', backend }),
    padding: T.tensor(padding, { shape: [B * P, L], dtype: 'u8', backend }),
    previous: T.tensor(previous, { shape: [B, length], dtype: 'i32', backend }),
  };
}
