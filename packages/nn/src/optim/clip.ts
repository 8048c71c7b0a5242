import * as T from '@tessera/tensor';

/**
 * Scales all gradients together so their global L2 norm is at most `maxNorm`, as
 * `torch.nn.utils.clip_grad_norm_` (coefficient maxNorm / (norm + 1e-6), capped at 1). Stays on the
 * device: returns the norm before clipping as a scalar tensor the caller owns.
 */
export function clipGradNorm(params: T.Tensor[], maxNorm: number): T.Tensor {
  const grads = params.map((p) => p.grad).filter((g): g is T.Tensor => !!g);
  return T.noGrad(() =>
    T.tidy(() => {
      if (grads.length === 0) return T.zeros([], { backend: params[0]?.backend });
      const norm = T.sqrt(grads.map((g) => T.sum(T.square(g))).reduce((a, b) => T.add(a, b)));
      const coef = T.minimum(T.div(T.full([], maxNorm, { backend: norm.backend }), T.add(norm, 1e-6)), 1);
      for (const g of grads) g.assign(T.mul(g, coef));
      return norm;
    }),
  );
}
