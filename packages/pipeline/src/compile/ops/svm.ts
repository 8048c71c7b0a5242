import * as T from '@tessera/tensor';
import type { SvmOp } from '../../ir/types.js';
import { postTransform } from '../post.js';
import { coupleProbabilities, pairProbability } from './platt.js';
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
 * the outputs are the votes per class (i where d > 0, else j), the pairs' decisions and, with Platt
 * scaling, the class probabilities (computed on the host, see platt.ts).
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
  const pairs: [number, number][] = [];
  for (let i = 0; i < k; i++) for (let j = i + 1; j < k; j++) pairs.push([i, j]);
  // votes = Σ_pairs (d > 0 ? onehot(i) : onehot(j)): two [pairs, k] matrices of one-hot rows.
  const winI = new Float32Array(pairs.length * k);
  const winJ = new Float32Array(pairs.length * k);
  pairs.forEach(([i, j], p) => {
    winI[p * k + i] = 1;
    winJ[p * k + j] = 1;
  });
  const toI = T.tensor(winI, { shape: [pairs.length, k], backend });
  const toJ = T.tensor(winJ, { shape: [pairs.length, k], backend });
  owned.push(toI, toJ);
  const decisions = (x: T.Tensor) => {
    const K = kernel(op, x, sv);
    const part = (cls: number, coefRow: number) =>
      T.sum(
        T.mul(
          T.narrow(K, 1, starts[cls], counts[cls]),
          T.narrow(T.narrow(coef, 0, coefRow, 1), 1, starts[cls], counts[cls]),
        ),
        1,
        true,
      );
    return T.add(
      T.concat(
        pairs.map(([i, j]) => T.add(part(i, j - 1), part(j, i))),
        1,
      ),
      rho,
    );
  };
  return compiled(async ([x], rows) => {
    const d = decisions(x as T.Tensor);
    const iWins = T.cast(T.gt(d, 0), 'f32');
    const votes = T.add(T.matmul(iWins, toI), T.matmul(T.sub(1, iWins), toJ));
    const outs: T.Tensor[] = [postTransform(votes, op.post), d];
    if (op.platt)
      outs.push(
        T.tensor(await plattProbabilities(d, rows, k, pairs, op.platt), { shape: [rows, k], backend }),
      );
    return outs;
  }, owned);
};

/** Class probabilities of every row from its pair decisions [rows, pairs], as onnxruntime couples them. */
async function plattProbabilities(
  d: T.Tensor,
  rows: number,
  k: number,
  pairs: [number, number][],
  platt: { a: number[]; b: number[] },
): Promise<Float32Array> {
  const dec = await d.data();
  const out = new Float32Array(rows * k);
  const r = new Float32Array(k * k);
  for (let row = 0; row < rows; row++) {
    pairs.forEach(([i, j], p) => {
      const pij = pairProbability(dec[row * pairs.length + p], platt.a[p], platt.b[p]);
      r[i * k + j] = pij;
      r[j * k + i] = Math.fround(1 - pij);
    });
    out.set(coupleProbabilities(k, r), row * k);
  }
  return out;
}
