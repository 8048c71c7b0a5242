import type * as T from '@tessera/tensor';
import { MoEError } from './errors.js';

/** Throws unless `v` is an integer in [lo, hi], naming `what`. */
export function needInt(what: string, v: number, lo: number, hi = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(v) || v < lo || v > hi) {
    throw new MoEError(`${what} must be an integer in [${lo}, ${hi}], got ${v}`);
  }
}

/** Throws unless `x` is [tokens, dim] with dim `dim` and a float dtype, naming `what`. */
export function needTokens(what: string, x: T.Tensor, dim: number): void {
  if (x.rank !== 2 || x.shape[1] !== dim || (x.dtype !== 'f32' && x.dtype !== 'f16')) {
    throw new MoEError(`${what} must be f32 [tokens, ${dim}], got ${x.dtype}[${x.shape.join(', ')}]`);
  }
}
