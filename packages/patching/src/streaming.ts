// Patches as bytes arrive: each patch is emitted as soon as the next start (or its maximum length)
// decides where it ends — the same patches as entropyPatches on the whole row.
import { PatchingError } from './errors.js';
import { checkEntropyOptions, type EntropyPatchOptions, startsAt } from './patchers/entropy.js';

/** A decided patch: its first position and length. */
export interface Patch {
  start: number;
  length: number;
}

/**
 * Incremental entropy patching. `push(entropies)` takes the next positions' entropies (one per id,
 * as {@link entropyPatches}) and returns the patches they close; `flush()` closes the last. Causal
 * modes only: top-k needs the whole row and is refused.
 */
export class StreamingPatcher {
  private readonly entropies: number[] = [];
  private start = 0;

  constructor(readonly options: EntropyPatchOptions) {
    checkEntropyOptions('StreamingPatcher', options);
    if (options.threshold === undefined)
      throw new PatchingError(
        'StreamingPatcher: top-k patching (no threshold) needs the whole sequence; give a threshold',
      );
  }

  /** Positions seen so far. */
  get length(): number {
    return this.entropies.length;
  }

  /** Adds entropies of the next positions; returns the patches they decide. */
  push(values: ArrayLike<number>): Patch[] {
    const out: Patch[] = [];
    for (let i = 0; i < values.length; i++) {
      if (Number.isNaN(values[i]))
        throw new PatchingError(`StreamingPatcher: entropy at position ${this.length} is NaN`);
      const p = this.entropies.length;
      this.entropies.push(values[i]);
      // Position p exists now: does it start a patch? (ids 0 and 1 always do.)
      if (p === 0) continue;
      const starts = p === 1 || startsAt(p, this.entropies, this.options);
      if (starts) this.close(p, out);
      else this.splitLong(p + 1, out);
    }
    return out;
  }

  /** Closes the last patch. */
  flush(): Patch[] {
    const out: Patch[] = [];
    if (this.entropies.length > this.start) this.close(this.entropies.length, out);
    return out;
  }

  private close(end: number, out: Patch[]): void {
    this.splitLong(end, out);
    if (end > this.start) out.push({ start: this.start, length: end - this.start });
    this.start = end;
  }

  // A patch that reaches the maximum length is decided then: emit full-size pieces.
  private splitLong(end: number, out: Patch[]): void {
    const m = this.options.maxPatchLength;
    while (m && end - this.start > m) {
      out.push({ start: this.start, length: m });
      this.start += m;
    }
  }
}
