import { ShapeError } from '../errors.js';
import { normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { arange } from './creation.js';
import { ge, le, sub, where } from './elementwise.js';
import { indexSelect } from './indexing.js';
import { concat, contiguous, expand, narrow, reshape, unsqueeze } from './movement.js';

/** `x` with the order of each of `dims` reversed (a copy, as in PyTorch). */
export function flip(x: Tensor, dims: number[]): Tensor {
  let out = x;
  for (const d of dims) {
    const a = normAxis('flip', d, x.rank);
    const n = x.shape[a];
    out = indexSelect(out, a, arange(n - 1, -1, -1, { backend: x.backend, dtype: 'i32' }));
  }
  return out;
}

/** Shifts elements along each of `dims` by `shifts` (wrapping around), as `torch.roll`. */
export function roll(x: Tensor, shifts: number[], dims: number[]): Tensor {
  if (shifts.length !== dims.length)
    throw new ShapeError(`roll: shifts ${shifts.length} and dims ${dims.length} must have the same length`);
  let out = x;
  shifts.forEach((s, i) => {
    const a = normAxis('roll', dims[i], x.rank);
    const n = x.shape[a];
    const k = ((s % n) + n) % n;
    if (k !== 0) out = concat([narrow(out, a, n - k, k), narrow(out, a, 0, n - k)], a);
  });
  return out;
}

/** Tiles `x` `reps[i]` times along each dim, as `torch.Tensor.repeat` (leading reps add dims). */
export function repeat(x: Tensor, reps: number[]): Tensor {
  if (reps.length < x.rank)
    throw new ShapeError(
      `repeat: ${reps.length} repetitions for a tensor of rank ${x.rank}; give one per dim`,
    );
  if (reps.some((r) => !Number.isInteger(r) || r < 0))
    throw new RangeError(`repeat: repetitions must be non-negative integers, got [${reps.join(', ')}]`);
  const shape = [...new Array<number>(reps.length - x.rank).fill(1), ...x.shape];
  // [r0, s0, r1, s1, …]: each dim gets a repetition axis before it, broadcast, then merged.
  let t = reshape(x, shape);
  for (let d = shape.length - 1; d >= 0; d--) t = unsqueeze(t, d);
  const wide = expand(
    t,
    shape.flatMap((s, d) => [reps[d], s]),
  );
  return reshape(
    contiguous(wide),
    shape.map((s, d) => s * reps[d]),
  );
}

/** Keeps the elements with column − row >= `lo` and <= `hi` of the last two dims, zeroing the rest. */
function band(op: string, x: Tensor, lo: number, hi: number): Tensor {
  if (x.rank < 2) throw new ShapeError(`${op}: expected a tensor of rank >= 2, got rank ${x.rank}`);
  const [r, c] = x.shape.slice(-2);
  const opts = { backend: x.backend, dtype: 'i32' as const };
  const offset = sub(
    unsqueeze(arange(c, undefined, 1, opts), 0),
    unsqueeze(arange(r, undefined, 1, opts), 1),
  );
  const keep = lo === -Infinity ? le(offset, hi) : ge(offset, lo);
  return where(keep, x, 0);
}

/** The lower triangle of the last two dims (column − row <= `diagonal`), zeros above, as `torch.tril`. */
export const tril = (x: Tensor, diagonal = 0): Tensor => band('tril', x, -Infinity, diagonal);

/** The upper triangle of the last two dims (column − row >= `diagonal`), zeros below, as `torch.triu`. */
export const triu = (x: Tensor, diagonal = 0): Tensor => band('triu', x, diagonal, Infinity);
