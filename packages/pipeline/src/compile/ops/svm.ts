import * as T from '@tessera/tensor';
import type { SvmOp } from '../../ir/types.js';
import { postTransform } from '../post.js';
import type { CompileRule } from './rule.js';
import { compiled } from './rule.js';

/** Elements of the [rows, vectors, features] difference tensor one RBF step may hold. */
const RBF_CHUNK = 1 << 22;

/**
 * K(x, sv) for every row and support vector [rows, vectors]. The RBF kernel sums the squared
 * differences directly (in row chunks that bound memory), as libsvm and onnxruntime do: the expanded
 * |x|² − 2x·sv + |sv|² cancels when x is near a support vector.
 */
function kernel(op: SvmOp, x: T.Tensor, sv: T.Tensor): T.Tensor {
  if (op.kernel !== 'rbf') {
    const dot = T.matmul(x, T.transpose(sv));
    if (op.kernel === 'linear') return dot;
    const inner = T.add(T.mul(dot, op.gamma), op.coef0);
    return op.kernel === 'poly' ? T.pow(inner, op.degree) : T.tanh(inner);
  }
  const [rows, features] = x.shape;
  const vectors = sv.shape[0];
  const step = Math.max(1, Math.floor(RBF_CHUNK / Math.max(1, vectors * features)));
  const parts: T.Tensor[] = [];
  for (let r = 0; r < rows; r += step) {
    const xs = T.unsqueeze(T.narrow(x, 0, r, Math.min(step, rows - r)), 1); // [n, 1, F]
    const d2 = T.sum(T.square(T.sub(xs, T.unsqueeze(sv, 0))), 2); // [n, V]
    parts.push(T.exp(T.mul(d2, -op.gamma)));
  }
  return parts.length === 1 ? parts[0] : T.concat(parts, 0);
}

/**
 * A kernel machine. Regressors: Σ coef·K + rho. Classifiers (support vectors grouped by class,
 * libsvm's one-vs-one): for each pair i < j, d = Σ_{s∈i} coef[j−1][s]·K + Σ_{s∈j} coef[i][s]·K + rho;
 * class i gets a vote where d > 0, class j otherwise; the output is the votes per class.
 */
export const svm: CompileRule<'svm'> = (op, { backend }) => {
  const sv = T.tensor(Float32Array.from(op.supportVectors.flat()), {
    shape: [op.supportVectors.length, op.supportVectors[0].length],
    backend,
  });
  const coef = T.tensor(Float32Array.from(op.coefficients.flat()), {
    shape: [op.coefficients.length, op.supportVectors.length],
    backend,
  });
  const rho = T.tensor(Float32Array.from(op.rho), { shape: [1, op.rho.length], backend });
  const owned = [sv, coef, rho];
  const counts = op.vectorsPerClass;
  if (!counts) {
    return compiled(
      ([x]) => [
        postTransform(T.add(T.matmul(kernel(op, x as T.Tensor, sv), T.transpose(coef)), rho), op.post),
      ],
      owned,
    );
  }
  const k = counts.length;
  const starts = counts.map((_, i) => counts.slice(0, i).reduce((s, c) => s + c, 0));
  return compiled(([x]) => {
    const K = kernel(op, x as T.Tensor, sv);
    const part = (cls: number, coefRow: number) => {
      const kk = T.narrow(K, 1, starts[cls], counts[cls]);
      const c = T.narrow(T.narrow(coef, 0, coefRow, 1), 1, starts[cls], counts[cls]);
      return T.sum(T.mul(kk, c), 1, true);
    };
    let votes = T.zeros([(x as T.Tensor).shape[0], k], { backend });
    let p = 0;
    for (let i = 0; i < k; i++) {
      for (let j = i + 1; j < k; j++, p++) {
        const d = T.add(T.add(part(i, j - 1), part(j, i)), T.narrow(rho, 1, p, 1));
        const iWins = T.cast(T.gt(d, 0), 'f32');
        const onehot = (c: number) => T.cast(T.eq(T.arange(k, undefined, 1, { backend }), c), 'f32');
        votes = T.add(votes, T.add(T.mul(iWins, onehot(i)), T.mul(T.sub(1, iWins), onehot(j))));
      }
    }
    return [postTransform(votes, op.post)];
  }, owned);
};
