/**
 * scikit-learn's MLPClassifier and MLPRegressor (sklearn/neural_network, 1.2.1): each layer is
 * x · coefs_[i] + intercepts_[i], the hidden ones followed by `activation`, the last by
 * `out_activation_` ('identity' for regressors, 'logistic' for two classes — predict_proba gives
 * [1 − p, p] — and 'softmax' for more). Multi-label classifiers are refused.
 */
import type { ActivationOp, LinearOp } from '../../ir/types.js';
import type { JsonReader } from '../json.js';
import type { Context, Converted, Converter } from './context.js';

const ACTIVATIONS = { identity: 'identity', logistic: 'sigmoid', tanh: 'tanh', relu: 'relu' } as const;

/** The layers up to the last one's pre-activation; returns it and its width. */
function layers(
  est: JsonReader,
  x: string,
  name: string,
  { b }: Context,
): { value: string; outputs: number } {
  const coefs = est.at('coefs_').items();
  const intercepts = est.at('intercepts_').itemsOf(coefs.length);
  if (coefs.length === 0) est.at('coefs_').fail('has no layers');
  const hidden =
    ACTIVATIONS[est.at('activation').oneOf(Object.keys(ACTIVATIONS) as (keyof typeof ACTIVATIONS)[])];
  let value = x;
  let width = 0;
  coefs.forEach((coef, i) => {
    const w = coef.matrix(); // [inputs][outputs]
    if (w.length === 0 || w[0].length === 0) coef.fail('is an empty layer');
    if (i > 0 && w.length !== width)
      coef.fail(`has ${w.length} rows, the previous layer gives ${width} columns`);
    width = w[0].length;
    const bias = intercepts[i].numbers(false, width);
    const weights = Array.from({ length: width }, (_, o) => w.map((row) => row[o]));
    const op: LinearOp = { kind: 'linear', weights, bias, post: 'none' };
    value = b.add1(`${name}:layer${i}`, op, [value]);
    if (i < coefs.length - 1 && hidden !== 'identity') {
      const act: ActivationOp = { kind: 'activation', fn: hidden };
      value = b.add1(`${name}:${hidden}${i}`, act, [value]);
    }
  });
  return { value, outputs: width };
}

export const mlpRegressor: Converter = (est, x, name, ctx) => {
  est.at('out_activation_').oneOf(['identity'] as const);
  return { kind: 'regressor', value: layers(est, x, name, ctx).value };
};

export const mlpClassifier: Converter = (est, x, name, ctx): Converted => {
  const { value, outputs } = layers(est, x, name, ctx);
  const labels = est.at('classes_').labels();
  const out = est.at('out_activation_').oneOf(['logistic', 'softmax'] as const);
  const binary = labels.length === 2;
  if (out !== (binary ? 'logistic' : 'softmax') || outputs !== (binary ? 1 : labels.length))
    est
      .at('out_activation_')
      .fail(
        `${out} over ${outputs} outputs for ${labels.length} classes is not supported (multi-label models are not)`,
      );
  const fn = binary ? 'sigmoid' : 'softmax';
  const probs = ctx.b.add1(`${name}:${fn}`, { kind: 'activation', fn }, [value]);
  const [label, scores] = ctx.b.classify(`${name}:classes`, probs, labels, binary ? 'complement' : 'none');
  return { kind: 'classifier', label, scores, probabilities: true };
};
