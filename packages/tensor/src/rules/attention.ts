import { isFloat } from '../dtype.js';
import { DTypeError } from '../errors.js';
import type { AttentionGroup } from '../opgroups.js';
import { attentionProbs, repeatHeads, sumHeads } from '../ops/attention.js';
import { mul, sub } from '../ops/elementwise.js';
import { matmul } from '../ops/matmul.js';
import { transpose } from '../ops/movement.js';
import { sum } from '../ops/reduce.js';
import type { KernelRules } from './types.js';

export const attentionRules: KernelRules<AttentionGroup> = {
  attention: {
    infer: ([q, k, v]) => {
      for (const [name, t] of [
        ['q', q],
        ['k', k],
        ['v', v],
      ] as const) {
        if (!isFloat(t.dtype) || t.dtype !== q.dtype)
          throw new DTypeError(
            `attention: q, k and v must all be f32 or all f16, got ${name} ${t.dtype} with q ${q.dtype}`,
          );
      }
      return { shape: [...q.shape.slice(0, 3), v.shape[3]], dtype: q.dtype };
    },
    // Recomputes the probabilities P (as flash attention does) instead of storing them:
    // dV = Pᵀ·g, dS = P ∘ (g·Vᵀ − rowsum(g·Vᵀ ∘ P)), dQ = dS·K·scale, dK = dSᵀ·Q·scale.
    grad: (g, { inputs: [q, k, v, ...extra], params }) => {
      const { scale, causal, window, qOffset, padded, segmented } = params;
      const groups = q.shape[1] / k.shape[1];
      const P = attentionProbs(q, k, {
        scale,
        causal,
        window,
        qOffset,
        keyPaddingMask: padded ? extra[0] : undefined,
        segments: segmented ? extra[padded ? 1 : 0] : undefined,
      });
      const dV = sumHeads(matmul(transpose(P), g), groups);
      const dP = matmul(g, transpose(repeatHeads(v, groups)));
      const dS = mul(P, sub(dP, sum(mul(dP, P), -1, true)));
      const dQ = mul(matmul(dS, repeatHeads(k, groups)), scale);
      const dK = sumHeads(mul(matmul(transpose(dS), q), scale), groups);
      // The mask and the document ids are not differentiable.
      return [dQ, dK, dV, ...extra.map(() => null)];
    },
  },
};
