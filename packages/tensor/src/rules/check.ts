import type { DType } from '../dtype.js';
import { DTypeError, fmt, ShapeError } from '../errors.js';
import { sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** Throws unless every input has the same dtype (or `dtype` when given). */
export function sameDType(op: string, inputs: readonly Tensor[], names: string[]): DType {
  const d = inputs[0].dtype;
  inputs.forEach((t, i) => {
    if (t.dtype !== d) {
      throw new DTypeError(
        `${op}: ${names[i]} has dtype ${t.dtype} but ${names[0]} has ${d}; cast one with cast()`,
      );
    }
  });
  return d;
}

/** Throws unless `t` has one of `allowed` dtypes. */
export function needDType(op: string, t: Tensor, name: string, allowed: readonly DType[]): void {
  if (!allowed.includes(t.dtype)) {
    throw new DTypeError(`${op}: ${name} must have dtype ${allowed.join(' or ')}, got ${t.dtype}`);
  }
}

/** Throws unless every input has the shape of the first. */
export function sameShapes(op: string, inputs: readonly Tensor[]): void {
  for (const t of inputs) {
    if (!sameShape(t.shape, inputs[0].shape)) {
      throw new ShapeError(`${op}: shapes ${inputs.map((i) => fmt(i.shape)).join(', ')} must match`);
    }
  }
}

/** Throws unless `t` has rank `rank` (or at least `min`). */
export function needRank(
  op: string,
  t: Tensor,
  name: string,
  rank: { exactly?: number; atLeast?: number },
): void {
  if (
    (rank.exactly !== undefined && t.rank !== rank.exactly) ||
    (rank.atLeast !== undefined && t.rank < rank.atLeast)
  ) {
    const want = rank.exactly !== undefined ? `rank ${rank.exactly}` : `rank >= ${rank.atLeast}`;
    throw new ShapeError(`${op}: ${name} must have ${want}, got shape ${fmt(t.shape)}`);
  }
}
