// Products: prod and cumprod as trees of elementwise multiplications (no kernel of their own, so
// every backend runs them and they fuse), with PyTorch's gradients, zeros in the input included.
import { customGrad } from '../custom-grad.js';
import { DTypeError } from '../errors.js';
import { normAxis, numel } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { cast, div, eq, mul, ne, relu, sub, where } from './elementwise.js';
import { gather } from './indexing.js';
import { flip } from './layout.js';
import { any } from './logic.js';
import { narrow, pad, permute, reshape } from './movement.js';
import { argmax, cumsum, keptShape, sum } from './reduce.js';

/** Dtypes a product takes (u8 products would overflow at once, as PyTorch widens them to int64). */
const MULTIPLIABLE = ['f32', 'i32', 'u32'];

function needMultipliable(op: string, x: Tensor): void {
  if (!MULTIPLIABLE.includes(x.dtype))
    throw new DTypeError(`${op}: input must have dtype ${MULTIPLIABLE.join(' or ')}, got ${x.dtype}`);
}

/** Pads `axis` of `x` with `before` and `after` elements of `value`. */
function padAxis(x: Tensor, axis: number, before: number, after: number, value: number): Tensor {
  const pads = x.shape.map((_, d): [number, number] => (d === axis ? [before, after] : [0, 0]));
  return pad(x, pads.reverse(), value);
}

/**
 * The product of each row of `[rows, n]`: padded with ones to a power of two, then halves
 * multiplied together, log₂ n elementwise products (which fuse a few levels at a time).
 */
function rowProducts(x: Tensor): Tensor {
  const [rows, n] = x.shape;
  const width = 2 ** Math.ceil(Math.log2(Math.max(n, 1)));
  let y = width > n ? padAxis(x, 1, 0, width - n, 1) : x;
  for (let h = width / 2; h >= 1; h /= 2) y = mul(narrow(y, 1, 0, h), narrow(y, 1, h, h));
  return reshape(y, [rows]);
}

/** The product of `x` along `axis` (all of it when undefined), without a gradient. */
function product(x: Tensor, axis: number | undefined): Tensor {
  if (axis === undefined) return reshape(rowProducts(reshape(x, [1, x.size])), []);
  const order = [...x.shape.keys()].filter((d) => d !== axis);
  const rows = reshape(permute(x, [...order, axis]), [numel(order.map((d) => x.shape[d])), x.shape[axis]]);
  return reshape(
    rowProducts(rows),
    order.map((d) => x.shape[d]),
  );
}

/**
 * Running product along `axis` by Hillis–Steele doubling: ⌈log₂ n⌉ rounds, each multiplying every
 * element by the one 2ʳ before it. Exact in its handling of zeros, infinities and NaN.
 */
function scan(x: Tensor, axis: number): Tensor {
  const n = x.shape[axis];
  let y = x;
  for (let s = 1; s < n; s *= 2) y = mul(y, padAxis(narrow(y, axis, 0, n - s), axis, s, 0, 1));
  return y;
}

/** [1, x₀, x₀x₁, …]: the running product of the elements before each. */
const exclusiveScan = (x: Tensor, axis: number): Tensor =>
  scan(padAxis(narrow(x, axis, 0, x.shape[axis] - 1), axis, 1, 0, 1), axis);

/** Σ_{j ≥ i} x_j along `axis`, summed from the end (no subtraction, so infinities stay exact). */
const reversedCumsum = (x: Tensor, axis: number): Tensor => flip(cumsum(flip(x, [axis]), axis), [axis]);

/** g times the product of every other element along `axis`, as PyTorch's prod_safe_zeros_backward. */
function productOfOthers(g: Tensor, x: Tensor, axis: number): Tensor {
  const before = exclusiveScan(x, axis);
  const after = flip(exclusiveScan(flip(x, [axis]), axis), [axis]);
  return mul(g, mul(before, after));
}

/**
 * The product of the elements of `x` along `axis`, or of all of them when `axis` is undefined, as
 * `torch.prod`. f32, i32 and u32 (integers wrap modulo 2³²); the product of nothing is 1.
 *
 * The factors are multiplied pairwise (a tree), so a float product may round differently from
 * PyTorch's, and where a partial product overflows or underflows float32 in one order and not in
 * the other the results differ (e.g. `[1e30, 1e30, 1e-30]`: inf here).
 *
 * The gradient is PyTorch's: g·prod/x when the input holds no zero; otherwise g times the product
 * of the other elements (built from running products, so one zero gets the product of the rest);
 * for the product of all elements with two or more zeros, zeros.
 */
export function prod(x: Tensor, axis?: number, keepdim = false): Tensor {
  needMultipliable('prod', x);
  const a = axis === undefined ? undefined : normAxis('prod', axis, x.rank);
  const reduced = a === undefined ? [...x.shape.keys()] : [a];
  const out = customGrad(
    'prod',
    [x],
    () => product(x, a),
    (g, { out }) => [prodGrad(g, x, out, a)],
  );
  return keepdim ? reshape(out, keptShape(x, reduced)) : out;
}

function prodGrad(g: Tensor, x: Tensor, out: Tensor, axis: number | undefined): Tensor {
  if (x.rank === 0) return g;
  const kept = keptShape(x, axis === undefined ? [...x.shape.keys()] : [axis]);
  const [gk, outk] = [reshape(g, kept), reshape(out, kept)];
  const plain = mul(gk, div(outk, x));
  if (axis === undefined) {
    const zeros = sum(cast(eq(x, 0), 'i32'));
    const flat = reshape(x, [x.size]);
    const one = reshape(productOfOthers(reshape(g, [1]), flat, 0), [...x.shape]);
    return where(eq(zeros, 0), plain, where(eq(zeros, 1), one, 0));
  }
  return where(any(eq(x, 0)), productOfOthers(gk, x, axis), plain);
}

/**
 * The running product along `axis`, as `torch.cumprod`: element i is x₀·x₁·…·xᵢ. f32, i32 and u32.
 * Computed by doubling (⌈log₂ n⌉ elementwise rounds), so floats may round differently from
 * PyTorch (which accumulates in float64), and a partial product that overflows float32 here can
 * give inf or NaN where PyTorch's does not (`[1e30, 1e30, 1e-30, 1e-30]` ends in NaN here, 1 there).
 *
 * The gradient is PyTorch's, exact with zeros: before the first zero of a row, Σ_{j≥i} g_j·y_j / x_i;
 * at the first zero, the product of the elements before it times Σ over j up to the next zero of
 * g_j times the product of the elements between; after it, 0.
 */
export function cumprod(x: Tensor, axis: number): Tensor {
  needMultipliable('cumprod', x);
  const a = normAxis('cumprod', axis, x.rank);
  return customGrad(
    'cumprod',
    [x],
    () => scan(x, a),
    (g, { out }) => [cumprodGrad(g, x, out, a)],
  );
}

function cumprodGrad(g: Tensor, x: Tensor, out: Tensor, axis: number): Tensor {
  if (x.size <= 1 || x.shape[axis] === 1) return g;
  const isZero = eq(x, 0);
  const zerosSoFar = cumsum(cast(isZero, 'i32'), axis);
  const beforeZero = eq(zerosSoFar, 0);
  const afterFirst = eq(zerosSoFar, 1);
  const firstZero = mul(isZero, afterFirst);
  // Before the first zero: Σ_{j≥i} g_j·y_j over the elements before it, over x_i.
  const early = div(reversedCumsum(where(beforeZero, mul(out, g), 0), axis), x);
  // At the first zero z: y_{z−1} · Σ_{z≤j<next zero} g_j · Π_{z<k≤j} x_k.
  const between = mul(afterFirst, ne(isZero, 1));
  const partial = scan(where(between, x, 1), axis);
  const weighted = sum(mul(partial, where(afterFirst, g, 0)), axis, true);
  const z = argmax(cast(afterFirst, 'i32'), axis, true);
  const prior = where(eq(z, 0), 1, gather(out, axis, relu(sub(z, 1))));
  return where(beforeZero, early, where(firstZero, mul(weighted, prior), 0));
}
