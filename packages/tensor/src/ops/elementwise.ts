import { apply } from '../apply.js';
import { checkDType, type DType } from '../dtype.js';
import { DTypeError } from '../errors.js';
import type { BinaryOp, CompareOp, LogicalOp, PredicateOp, UnaryOp } from '../opset.js';
import { resultType } from '../promote.js';
import { broadcastShapes, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { full } from './creation.js';
import { expand } from './movement.js';

/**
 * A tensor or a plain number. Operands of a binary op are promoted to one dtype as PyTorch does
 * ({@link resultType}): `add(i32, 0.5)` is f32. A number taken as an integer dtype must be one of
 * its values: a u8 tensor refuses 300 (cast the tensor first).
 */
export type TensorLike = Tensor | number;

/** The values each integer dtype holds. */
const INTEGER_RANGE: Partial<Record<DType, [number, number]>> = {
  bool: [0, 1],
  i32: [-(2 ** 31), 2 ** 31 - 1],
  u32: [0, 2 ** 32 - 1],
  u8: [0, 255],
};

/** An operand as a tensor of `dtype`: a tensor cast (a fused, free step), a number as a scalar. */
function asTensor(op: string, x: TensorLike, dtype: DType, backend: Tensor['backend']): Tensor {
  if (typeof x !== 'number') return cast(x, dtype);
  const range = INTEGER_RANGE[dtype];
  if (range && !(Number.isInteger(x) && x >= range[0] && x <= range[1])) {
    throw new DTypeError(
      `${op}: the scalar ${x} is not a ${dtype} value (an integer in [${range[0]}, ${range[1]}]), and the operands are ${dtype}; cast the tensor first`,
    );
  }
  return full([], x, { dtype, backend });
}

/**
 * Promotes operands to their common dtype ({@link resultType}) and broadcasts them to one shape
 * (views, no copies).
 */
export function broadcast(op: string, ...xs: TensorLike[]): Tensor[] {
  return expandAll(op, promote(op, xs));
}

/** Operands as tensors of their common dtype ({@link resultType}), not broadcast. */
function promote(op: string, xs: TensorLike[]): Tensor[] {
  const dtype = resultType(op, xs);
  const like = xs.find((x): x is Tensor => typeof x !== 'number') as Tensor;
  return xs.map((x) => asTensor(op, x, dtype, like.backend));
}

/** Tensors broadcast to one shape (views, no copies), their dtypes as they are. */
function expandAll(op: string, ts: Tensor[]): Tensor[] {
  const shape = broadcastShapes(op, ...ts.map((t) => t.shape));
  return ts.map((t) => (sameShape(t.shape, shape) ? t : expand(t, shape)));
}

const unary = (op: UnaryOp) => (x: Tensor) => apply(op, [x], {});

/** −x */
export const neg = unary('neg');
/** |x| */
export const abs = unary('abs');
/** −1, 0 or 1. */
export const sign = unary('sign');
/** eˣ */
export const exp = unary('exp');
/** ln x */
export const log = unary('log');
/** √x */
export const sqrt = unary('sqrt');
/** 1/√x */
export const rsqrt = unary('rsqrt');
/** sin x */
export const sin = unary('sin');
/** cos x */
export const cos = unary('cos');
/** tanh x */
export const tanh = unary('tanh');
/** 1/(1+e⁻ˣ) */
export const sigmoid = unary('sigmoid');
/** max(x, 0) */
export const relu = unary('relu');
/** GELU, exact (erf) form as PyTorch's default. */
export const gelu = unary('gelu');
/** x·sigmoid(x) */
export const silu = unary('silu');
/** The error function. */
export const erf = unary('erf');
/** ln(1 + x), accurate for small x. */
export const log1p = unary('log1p');
/** eˣ − 1, accurate for small x. */
export const expm1 = unary('expm1');
/** log₂ x */
export const log2 = unary('log2');
/** tan x */
export const tan = unary('tan');
/** arcsin x (NaN outside [−1, 1]). */
export const asin = unary('asin');
/** arccos x (NaN outside [−1, 1]). */
export const acos = unary('acos');
/** arctan x */
export const atan = unary('atan');
/** Largest integer ≤ x. */
export const floor = unary('floor');
/** Smallest integer ≥ x. */
export const ceil = unary('ceil');
/** Nearest integer, ties to even (as PyTorch). */
export const round = unary('round');
/** x rounded toward zero. */
export const trunc = unary('trunc');
/** 1/x */
export const reciprocal = unary('reciprocal');
/** ln(1 + eˣ), and x itself above 20 (PyTorch's default beta 1, threshold 20). */
export const softplus = unary('softplus');
/** x for x > 0, `slope`·x otherwise (PyTorch's default slope 0.01). */
export const leakyRelu = (x: Tensor, slope = 0.01): Tensor => apply('leaky_relu', [x], { slope });
/** x for x > 0, `alpha`·(eˣ − 1) otherwise. */
export const elu = (x: Tensor, alpha = 1): Tensor => apply('elu', [x], { alpha });

const predicate = (op: PredicateOp) => (x: Tensor) => apply(op, [x], {});
/** Whether each element is NaN, as bool. */
export const isnan = predicate('isnan');
/** Whether each element is ±inf, as bool. */
export const isinf = predicate('isinf');
/** Whether each element is neither NaN nor ±inf, as bool. */
export const isfinite = predicate('isfinite');
/** True where the element is zero (false for NaN), as bool. */
export const logicalNot = predicate('logical_not');

const logical = (op: LogicalOp) => (a: TensorLike, b: TensorLike) => apply(op, broadcast(op, a, b), {});
/** Both nonzero, as bool, broadcasting. */
export const logicalAnd = logical('logical_and');
/** Either nonzero, as bool, broadcasting. */
export const logicalOr = logical('logical_or');
/** Exactly one nonzero, as bool, broadcasting. */
export const logicalXor = logical('logical_xor');

const binary = (op: BinaryOp | CompareOp) => (a: TensorLike, b: TensorLike) =>
  apply(op, broadcast(op, a, b), {});

/** a + b, broadcasting. */
export const add = binary('add');
/** a − b, broadcasting. */
export const sub = binary('sub');
/** a · b, broadcasting. */
export const mul = binary('mul');
/** a / b, broadcasting; integer division truncates toward zero. */
export const div = binary('div');
/** aᵇ, broadcasting. */
export const pow = binary('pow');
/** Elementwise maximum (NaN propagates). */
export const maximum = binary('maximum');
/** Elementwise minimum (NaN propagates). */
export const minimum = binary('minimum');
/**
 * The remainder of a / b with the sign of a (C's `fmod`, `torch.fmod`), broadcasting; exact for
 * floats. By zero: NaN for floats, 0 for integers (as NumPy and as integer division here; PyTorch
 * raises). The gradient is PyTorch's: 1 for a, −trunc(a / b) for b.
 */
export const fmod = binary('fmod');
/**
 * The remainder of a / b with the sign of b (Python's `%`, `torch.remainder`), broadcasting: fmod,
 * plus b where that is nonzero and its sign differs from b's. By zero: NaN for floats, 0 for
 * integers (PyTorch raises). The gradient is PyTorch's: 1 for a, −floor(a / b) for b.
 */
export const remainder = binary('remainder');
/** a == b as bool. */
export const eq = binary('eq');
/** a != b as bool. */
export const ne = binary('ne');
/** a < b as bool. */
export const lt = binary('lt');
/** a <= b as bool. */
export const le = binary('le');
/** a > b as bool. */
export const gt = binary('gt');
/** a >= b as bool. */
export const ge = binary('ge');

/** `cond ? a : b` elementwise, broadcasting all three; `cond` is bool (or u8, nonzero is true), `a` and `b` are promoted to one dtype. */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  if (typeof a === 'number' && typeof b === 'number') throw new TypeError('where: a or b must be a tensor');
  return apply('where', expandAll('where', [cond, ...promote('where', [a, b])]), {});
}

/** `x` with `value` where `mask` (bool, or u8 nonzero) is set, broadcasting. */
export const maskedFill = (x: Tensor, mask: Tensor, value: number): Tensor =>
  where(mask, asTensor('maskedFill', value, x.dtype, x.backend), x);

/**
 * Converts to `dtype`: floats truncate toward zero to integers, u8 wraps, f16 rounds to the nearest
 * half (ties to even, ±inf past 65504), bool is true for nonzero (NaN included). Returns `x` itself
 * when the dtype already matches.
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  checkDType('cast', dtype);
  return x.dtype === dtype ? x : apply('cast', [x], { dtype });
}

/** x² */
export const square = (x: Tensor): Tensor => mul(x, x);
/**
 * Clamps into [lo, hi] (NaN stays NaN). As in PyTorch, the gradient is 1 inside [lo, hi], bounds
 * included, and 0 outside and at NaN.
 */
export function clamp(x: Tensor, lo: number, hi: number): Tensor {
  const inside = mul(ge(x, lo), le(x, hi));
  return where(inside, x, minimum(maximum(x, lo), hi).detach());
}
