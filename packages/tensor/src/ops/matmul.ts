import { apply } from '../apply.js';
import { fmt, ShapeError } from '../errors.js';
import { broadcastShapes } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { add } from './elementwise.js';
import { expand, squeeze, transpose, unsqueeze } from './movement.js';

/**
 * Matrix product with `torch.matmul` semantics: 1-D operands are promoted to a row (left) or a
 * column (right) and the added dim removed again; batch dims broadcast (as views, no copies);
 * transposed operands are read through their strides.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.rank === 0 || b.rank === 0)
    throw new ShapeError(
      `matmul: both operands need at least 1 dim, got ${fmt(a.shape)} and ${fmt(b.shape)}`,
    );
  const a2 = a.rank === 1 ? unsqueeze(a, 0) : a;
  const b2 = b.rank === 1 ? unsqueeze(b, -1) : b;
  const [M, K] = a2.shape.slice(-2);
  const [K2, N] = b2.shape.slice(-2);
  if (K !== K2) {
    throw new ShapeError(
      `matmul: a ${fmt(a.shape)} and b ${fmt(b.shape)} do not fit (a's last dim ${K} must equal b's ${b.rank === 1 ? 'only' : 'second-to-last'} dim ${K2})`,
    );
  }
  const batch = broadcastShapes('matmul (batch dims)', a2.shape.slice(0, -2), b2.shape.slice(0, -2));
  let out = apply('matmul', [expand(a2, [...batch, M, K]), expand(b2, [...batch, K, N])], {});
  if (b.rank === 1) out = squeeze(out, -1);
  if (a.rank === 1) out = squeeze(out, b.rank === 1 ? -1 : -2);
  return out;
}

/** `x · weightᵀ + bias` with PyTorch's `nn.Linear` layout: weight [out, in], bias [out]. */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  const y = matmul(x, transpose(weight));
  return bias ? add(y, bias) : y;
}
