/**
 * scikit-learn's PCA (sklearn/decomposition/_base.py, 1.2.1): transform(x) = (x − mean_) ·
 * components_ᵀ, divided by √explained_variance_ per component when whiten. The centring is its
 * own step, as scikit-learn computes it, so that it happens before the products.
 */
import type { Converter } from './context.js';

export const pca: Converter = (est, x, name, { b }) => {
  const mean = est.at('mean_').numbers();
  const components = est.at('components_').matrix(mean.length);
  if (components.length === 0) est.at('components_').fail('has no components');
  let weights = components;
  if (est.at('whiten').boolean()) {
    const variance = est.at('explained_variance_').numbers(false, components.length);
    weights = components.map((row, k) => {
      if (!(variance[k] > 0))
        est.at('explained_variance_').fail(`entry ${k} is ${variance[k]}; whitening divides by its root`);
      const s = Math.sqrt(variance[k]);
      return row.map((w) => w / s);
    });
  }
  const centred = b.add1(`${name}:centre`, { kind: 'scaler', offset: mean, scale: [1] }, [x]);
  const bias = weights.map(() => 0);
  return {
    kind: 'transform',
    value: b.add1(name, { kind: 'linear', weights, bias, post: 'none' }, [centred]),
  };
};
