import * as T from '@tessera/tensor';
import { postTransform } from '../post.js';
import { row } from './elementwise.js';
import type { CompileRule } from './rule.js';
import { compiled } from './rule.js';

/** y = post(x · Wᵀ + b). */
export const linear: CompileRule<'linear'> = (op, { backend }) => {
  const [outs, ins] = [op.weights.length, op.weights[0].length];
  const wT = new Float32Array(ins * outs);
  op.weights.forEach((w, o) => {
    w.forEach((v, i) => {
      wT[i * outs + o] = v;
    });
  });
  const weights = T.tensor(wT, { shape: [ins, outs], backend });
  const bias = row(op.bias, backend);
  return compiled(
    ([x]) => [postTransform(T.add(T.matmul(x as T.Tensor, weights), bias), op.post)],
    [weights, bias],
  );
};
