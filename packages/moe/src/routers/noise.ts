import * as T from '@tessera/tensor';
import { MoEError } from '../errors.js';

/** Throws unless `eps` is in [0, 1), naming `what`. */
export function needJitter(what: string, eps: number): void {
  if (typeof eps !== 'number' || !(eps >= 0 && eps < 1)) {
    throw new MoEError(`${what} must be a number in [0, 1), got ${eps}`);
  }
}

/**
 * Switch Transformer's router jitter: `x` times noise uniform in [1 − eps, 1 + eps), drawn from
 * `generator` (the global one when absent). Callers apply it in training mode only, so evaluation
 * stays deterministic.
 */
export function jitter(x: T.Tensor, eps: number, generator?: T.Generator): T.Tensor {
  if (eps === 0) return x;
  const u = T.rand([...x.shape], { generator, backend: x.backend });
  return T.mul(x, T.add(T.mul(u, 2 * eps), 1 - eps));
}

/**
 * Standard Gumbel noise −log(−log U) of `shape`, for fairseq's sampled second expert. U is kept
 * above the smallest normal f32 so that no sample is infinite.
 */
export function gumbel(shape: readonly number[], backend: T.Backend, generator?: T.Generator): T.Tensor {
  const u = T.maximum(T.rand([...shape], { generator, backend }), 1.1754943508222875e-38);
  return T.neg(T.log(T.neg(T.log(u))));
}
