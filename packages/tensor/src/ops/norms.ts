import { customGrad } from '../custom-grad.js';
import { normAxes } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { abs, cast, div, eq, logicalOr, mul, pow, sign, sqrt, square, where } from './elementwise.js';
import { reshape } from './movement.js';
import { type Axes, keptShape, max, sum } from './reduce.js';

/**
 * The vector `ord`-norm over `axes` (default: all), as `torch.linalg.vector_norm`: 2 (default),
 * 1, Infinity, or any p > 0. As PyTorch, the gradient at a zero vector is 0, and for Infinity it
 * is split evenly between the elements of largest magnitude.
 */
export function vectorNorm(x: Tensor, ord = 2, axes?: Axes, keepdim = false): Tensor {
  if (!(ord > 0)) throw new RangeError(`vectorNorm: ord must be a positive number or Infinity, got ${ord}`);
  const a = normAxes('vectorNorm', axes, x.rank);
  const kept = keptShape(x, a);
  const forward = (): Tensor => {
    if (ord === 1) return sum(abs(x), a, true);
    if (ord === 2) return sqrt(sum(square(x), a, true));
    if (ord === Infinity) return max(abs(x), a, true);
    return pow(sum(pow(abs(x), ord), a, true), 1 / ord);
  };
  const norm = customGrad('vector_norm', [x], forward, (g, { out }) => {
    if (ord === 1) return [mul(g, sign(x))];
    if (ord === Infinity) {
      const hit = eq(abs(x), out);
      const hits = cast(hit, 'f32');
      return [div(mul(mul(g, sign(x)), hits), sum(hits, a, true))];
    }
    // PyTorch's: g·sgn(x)·|x|^(p−1) / ‖x‖^(p−1), and 0 where the norm is 0 or (p < 1) x is.
    if (ord === 2) return [where(eq(out, 0), 0, mul(x, div(g, out)))];
    const grad = div(mul(mul(g, sign(x)), pow(abs(x), ord - 1)), pow(out, ord - 1));
    return [where(logicalOr(eq(out, 0), eq(x, 0)), 0, grad)];
  });
  return keepdim
    ? norm
    : reshape(
        norm,
        kept.filter((_, i) => !a.includes(i)),
      );
}
