import type { DType } from './dtype.js';
import { DTypeError } from './errors.js';
import type { Tensor } from './tensor.js';

/** An operand of a binary op: a tensor or a plain number. */
type Operand = Tensor | number;

/**
 * The common dtype of two dtypes (PyTorch's `torch.promote_types` on the dtypes Tessera has):
 * f32 wins; among integers the wider holds both (u8 with i32 is i32, u8 with u32 is u32). i32 and
 * u32 share no dtype here (PyTorch gives int64): that is a {@link DTypeError}.
 */
export function promoteTypes(op: string, a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === 'f32' || b === 'f32') return 'f32';
  if (a === 'u8') return b;
  if (b === 'u8') return a;
  throw new DTypeError(
    `${op}: ${a} and ${b} have no common dtype (PyTorch promotes them to int64, which Tessera lacks); cast one with cast()`,
  );
}

/**
 * PyTorch's `combine_categories`: the lower-priority group's dtype takes part only when it is of a
 * higher category (a float where the higher group holds integers).
 */
function combine(op: string, higher: DType | undefined, lower: DType | undefined): DType | undefined {
  if (higher === undefined) return lower;
  if (higher === 'f32' || lower !== 'f32') return higher;
  return promoteTypes(op, higher, lower);
}

const promoteAll = (op: string, ds: DType[]): DType | undefined =>
  ds.length === 0 ? undefined : ds.reduce((a, b) => promoteTypes(op, a, b));

/**
 * The dtype a binary op computes in, by PyTorch's type promotion (`torch.result_type`): tensors
 * with dimensions decide among themselves; zero-dim tensors and plain numbers count only when
 * they are of a higher category (floats over integers). A number is a float when it is not an
 * integer (0.5, NaN, ±inf) — JavaScript has no `2.0` apart from `2` — and a float number makes the
 * result f32, PyTorch's default float dtype.
 */
export function resultType(op: string, operands: readonly Operand[]): DType {
  const tensors = operands.filter((x): x is Tensor => typeof x !== 'number');
  if (tensors.length === 0) throw new TypeError(`${op}: at least one operand must be a tensor`);
  const dims = promoteAll(
    op,
    tensors.filter((t) => t.rank > 0).map((t) => t.dtype),
  );
  const zeroDim = promoteAll(
    op,
    tensors.filter((t) => t.rank === 0).map((t) => t.dtype),
  );
  const floatNumber = operands.some((x) => typeof x === 'number' && !Number.isInteger(x));
  const result = combine(op, dims, combine(op, zeroDim, floatNumber ? 'f32' : undefined));
  return result as DType;
}
