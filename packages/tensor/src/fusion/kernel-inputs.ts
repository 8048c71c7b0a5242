import type { DType } from '../dtype.js';
import { type Exp, ex, mapLeaves } from '../ir/exp.js';
import type { Source } from '../storage.js';

/** Equal for two reads of the same elements of the same storage. */
export const sourceKey = (s: Source) => `${s.storage.id}@${s.offset}:${s.strides.join(',')}:${s.dtype}`;

/**
 * What a kernel assembled from recipes reads and is passed: each distinct read gets one input
 * slot, and each recipe's params follow those added before them.
 */
export class KernelInputs {
  readonly sources: Source[] = [];
  readonly params: number[] = [];
  private readonly slots = new Map<string, number>();

  /** Whether `s` already has an input slot. */
  has(s: Source): boolean {
    return this.slots.has(sourceKey(s));
  }

  /** The input slot reading `s`, added if new. */
  slot(s: Source): number {
    const key = sourceKey(s);
    let k = this.slots.get(key);
    if (k === undefined) {
      k = this.sources.push(s) - 1;
      this.slots.set(key, k);
    }
    return k;
  }

  /** A new param slot holding `value`. */
  param(value: number, dtype: DType): Exp {
    return ex.param(this.params.push(value) - 1, dtype);
  }

  /** `exp`, which reads `reads[j]` in input slot j and holds `params[k]` in param slot k, on this kernel's slots. */
  adopt(exp: Exp, reads: readonly Source[], params: readonly number[]): Exp {
    const base = this.params.push(...params) - params.length;
    return mapLeaves(exp, (e) =>
      e.op === 'input'
        ? ex.input(this.slot(reads[e.arg]), e.dtype)
        : e.op === 'param'
          ? ex.param(base + e.arg, e.dtype)
          : undefined,
    );
  }
}
