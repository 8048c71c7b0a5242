import { isFloat } from '../dtype.js';
import { DTypeError, fmt, ShapeError } from '../errors.js';
import type { MatmulGroup } from '../opgroups.js';
import { matmul } from '../ops/matmul.js';
import { transpose } from '../ops/movement.js';
import { sameShape } from '../shape.js';
import type { KernelRules } from './types.js';

export const matmulRules: KernelRules<MatmulGroup> = {
  matmul: {
    infer: ([a, b]) => {
      if (!isFloat(a.dtype) || a.dtype !== b.dtype) {
        throw new DTypeError(
          `matmul: a and b must both be f32 or both f16, got ${a.dtype} and ${b.dtype}; cast one with cast()`,
        );
      }
      const r = a.rank;
      if (
        r < 2 ||
        b.rank !== r ||
        !sameShape(a.shape.slice(0, -2), b.shape.slice(0, -2)) ||
        a.shape[r - 1] !== b.shape[r - 2]
      ) {
        throw new ShapeError(
          `matmul: kernel operands ${fmt(a.shape)} and ${fmt(b.shape)} must be [..., M, K] and [..., K, N] with one batch shape`,
        );
      }
      return { shape: [...a.shape.slice(0, -1), b.shape[r - 1]], dtype: a.dtype };
    },
    // Batch dims were broadcast by expand views before the kernel, so these have the operands' shapes.
    grad: (g, { inputs: [a, b], needs }) => [
      needs[0] ? matmul(g, transpose(b)) : null,
      needs[1] ? matmul(transpose(a), g) : null,
    ],
  },
};
