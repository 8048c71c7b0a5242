import type { DType } from './dtype.js';
import { DTypeError } from './errors.js';
import type { Tensor } from './tensor.js';

/** An operand of a binary op: a tensor or a plain number. */
type Operand = Tensor | number;

/** PyTorch's dtype categories, in order: a higher category's dtype holds a lower one's values. */
const CATEGORY: Record<DType, number> = { bool: 0, u8: 1, i32: 1, u32: 1, f16: 2, f32: 2 };

/** The category of a dtype: 0 bool, 1 integer, 2 float. */
export const categoryOf = (d: DType): number => CATEGORY[d];

/**
 * The common dtype of two dtypes (PyTorch's `torch.promote_types` on the dtypes Tessera has): f32
 * over f16 over every integer; bool under everything; among integers the wider holds both (u8
 * with i32 is i32, u8 with u32 is u32). i32 and u32 share no dtype here (PyTorch gives int64):
 * that is a {@link DTypeError}.
 */
export function promoteTypes(op: string, a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === 'f32' || b === 'f32') return 'f32';
  if (a === 'f16' || b === 'f16') return 'f16';
  if (a === 'bool') return b;
  if (b === 'bool') return a;
  if (a === 'u8') return b;
  if (b === 'u8') return a;
  throw new DTypeError(
    `${op}: ${a} and ${b} have no common dtype (PyTorch promotes them to int64, which Tessera lacks); cast one with cast()`,
  );
}

/**
 * PyTorch's `combine_categories`: the lower-priority group's dtype takes part only when it is of a
 * higher category (a float where the higher group holds integers or bools, an integer where it
 * holds bools).
 */
function combine(op: string, higher: DType | undefined, lower: DType | undefined): DType | undefined {
  if (higher === undefined) return lower;
  if (lower === undefined || CATEGORY[lower] <= CATEGORY[higher]) return higher;
  return promoteTypes(op, higher, lower);
}

const promoteAll = (op: string, ds: DType[]): DType | undefined =>
  ds.length === 0 ? undefined : ds.reduce((a, b) => promoteTypes(op, a, b));

/**
 * The dtype a binary op computes in, by PyTorch's type promotion (`torch.result_type`): tensors
 * with dimensions decide among themselves; zero-dim tensors and plain numbers count only when
 * they are of a higher category (floats over integers over bools). A number is a float when it is
 * not an integer (0.5, NaN, ±inf) — JavaScript has no `2.0` apart from `2` — and a float number
 * makes the result f32, PyTorch's default float dtype; an integer number with bool tensors makes
 * it i32 (PyTorch's default integer is int64, which Tessera lacks).
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
  const numbers = operands.filter((x): x is number => typeof x === 'number');
  const number = numbers.some((x) => !Number.isInteger(x)) ? 'f32' : numbers.length ? 'i32' : undefined;
  const result = combine(op, dims, combine(op, zeroDim, number));
  return result as DType;
}
