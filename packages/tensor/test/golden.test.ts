// Forward values and gradients against fixtures produced by real PyTorch (tools/fixtures/gen_tensor.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { backends, expectClose } from './helpers.js';

interface Arr {
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  inputs: Record<string, Arr>;
  ints: Record<string, Arr>;
  output: Arr;
  weights: Arr;
  grads: Record<string, Arr>;
}

const fixtures = JSON.parse(readFileSync(new URL('./fixtures/torch.json', import.meta.url), 'utf8')) as {
  torch: string;
  cases: Case[];
};

type Fn = (x: Record<string, T.Tensor>, ints: Record<string, T.Tensor>) => T.Tensor;

function attention({ q, k, v, wo }: Record<string, T.Tensor>): T.Tensor {
  const [b, h, s, d] = q.shape;
  const scores = T.div(T.matmul(q, T.transpose(k)), Math.sqrt(d));
  const positions = T.arange(s, undefined, 1, { backend: q.backend });
  const above = T.lt(T.unsqueeze(positions, 1), T.unsqueeze(positions, 0));
  const probs = T.softmax(T.maskedFill(scores, above, Number.NEGATIVE_INFINITY), -1);
  const merged = T.reshape(T.transpose(T.matmul(probs, v), 1, 2), [b, s, h * d]);
  return T.linear(merged, wo);
}

const IMPL: Record<string, Fn> = {
  matmul_2d: ({ a, b }) => T.matmul(a, b),
  matmul_broadcast_batch: ({ a, b }) => T.matmul(a, b),
  matmul_transposed: ({ a, b }) => T.matmul(T.transpose(a, 0, 1), b),
  matmul_vector_matrix: ({ a, b }) => T.matmul(a, b),
  softmax_last: ({ x }) => T.softmax(x, -1),
  softmax_axis0: ({ x }) => T.softmax(x, 0),
  log_softmax_last: ({ x }) => T.logSoftmax(x, -1),
  log_softmax_axis0: ({ x }) => T.logSoftmax(x, 0),
  layer_norm_last: ({ x, weight, bias }) => T.layerNorm(x, [8], weight, bias, 1e-5),
  layer_norm_last2: ({ x, weight, bias }) => T.layerNorm(x, [3, 5], weight, bias, 1e-5),
  rms_norm: ({ x, weight }) => T.rmsNorm(x, [10], weight, 1e-6),
  cross_entropy_mean_ignore: ({ logits }, { target }) => T.reshape(T.crossEntropy(logits, target), [1]),
  cross_entropy_sum: ({ logits }, { target }) =>
    T.reshape(T.crossEntropy(logits, target, { reduction: 'sum' }), [1]),
  cross_entropy_label_smoothing: ({ logits }, { target }) =>
    T.reshape(T.crossEntropy(logits, target, { labelSmoothing: 0.1 }), [1]),
  attention_causal: (x) => attention(x),
};

const list = await backends();

describe.each(list)(`PyTorch ${fixtures.torch} golden fixtures on %s`, (_name, backend) => {
  it('covers every fixture case', () => {
    expect(fixtures.cases.map((c) => c.name).sort()).toEqual(Object.keys(IMPL).sort());
  });

  it.each(fixtures.cases.map((c) => [c.name, c] as const))('%s: forward and gradients', async (_n, c) => {
    const names = Object.keys(c.inputs);
    const ints = Object.fromEntries(
      Object.entries(c.ints).map(([k, v]) => [
        k,
        T.tensor(v.data, { shape: v.shape, dtype: 'i32', backend }),
      ]),
    );
    const args = names.map((k) => T.tensor(c.inputs[k].data, { shape: c.inputs[k].shape, backend }));
    const w = T.tensor(c.weights.data, { shape: c.weights.shape, backend });
    let out: T.Tensor | undefined;
    const [loss, grads] = T.valueAndGrad((...xs: T.Tensor[]) => {
      out = T.keep(IMPL[c.name](Object.fromEntries(names.map((k, i) => [k, xs[i]])), ints));
      return T.sum(T.mul(out, w));
    })(...args);
    expect(out!.shape).toEqual(c.output.shape);
    expectClose(await out!.data(), c.output.data, 1e-4, 1e-5, `${c.name} forward`);
    for (const [i, k] of names.entries()) {
      // Gradients sum many products in another order than PyTorch: a little more absolute slack.
      expectClose(await grads[i].data(), c.grads[k].data, 1e-4, 5e-5, `${c.name} d/d${k}`);
    }
    for (const t of [loss, out!, w, ...args, ...grads, ...Object.values(ints)]) t.dispose();
  });
});
