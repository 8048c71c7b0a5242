// Platt scaling of one-vs-one SVM decisions into class probabilities, on the host, transcribed
// from onnxruntime's ml_common.h (sigmoid_probability, multiclass_probability: libsvm's method 2 of
// Wu, Lin and Weng 2004) with every operation rounded to float32 as there.

const f = Math.fround;

/** onnxruntime's ComputeLogistic: 1 / (1 + e^−|v|), mirrored for v < 0. */
function logistic(v: number): number {
  const e = f(1 / f(1 + f(Math.exp(f(-Math.abs(v))))));
  return v < 0 ? f(1 - e) : e;
}

/** Pair (i, j)'s probability that the row is of class i: 1 − logistic(a·d + b), clipped. */
export function pairProbability(d: number, a: number, b: number): number {
  const p = f(1 - logistic(f(f(d * a) + b)));
  return Math.min(Math.max(p, 1e-7), 1 - 1e-7);
}

/**
 * Class probabilities from the pairwise ones: `r[i·k + j]` is P(class i | i or j). Iterates at most
 * 100 rounds and stops once every component of Qp is within 0.005 / k of pᵀQp.
 */
export function coupleProbabilities(k: number, r: Float32Array): Float32Array {
  const Q = new Float32Array(k * k);
  const Qp = new Float32Array(k);
  const p = new Float32Array(k);
  const eps = f(0.005 / k);
  for (let i = 0; i < k; i++) {
    p[i] = f(1 / k);
    for (let j = 0; j < i; j++) {
      Q[i * k + i] = f(Q[i * k + i] + f(r[j * k + i] * r[j * k + i]));
      Q[i * k + j] = Q[j * k + i];
    }
    for (let j = i + 1; j < k; j++) {
      Q[i * k + i] = f(Q[i * k + i] + f(r[j * k + i] * r[j * k + i]));
      Q[i * k + j] = f(-f(r[j * k + i] * r[i * k + j]));
    }
  }
  for (let loop = 0; loop < 100; loop++) {
    let pQp = 0;
    for (let i = 0; i < k; i++) {
      Qp[i] = 0;
      for (let j = 0; j < k; j++) Qp[i] = f(Qp[i] + f(Q[i * k + j] * p[j]));
      pQp = f(pQp + f(p[i] * Qp[i]));
    }
    // As there: a NaN error never raises the running maximum, so NaN decisions stop at once (1/k each).
    let maxError = 0;
    for (let i = 0; i < k; i++) {
      const error = Math.abs(f(Qp[i] - pQp));
      if (error > maxError) maxError = error;
    }
    if (maxError < eps) break;
    for (let i = 0; i < k; i++) {
      const diff = f(f(-Qp[i] + pQp) / Q[i * k + i]);
      p[i] = f(p[i] + diff);
      const one = f(1 + diff);
      pQp = f(f(f(pQp + f(diff * f(f(diff * Q[i * k + i]) + f(2 * Qp[i])))) / one) / one);
      for (let j = 0; j < k; j++) {
        Qp[j] = f(f(Qp[j] + f(diff * Q[i * k + j])) / one);
        p[j] = f(p[j] / one);
      }
    }
  }
  return p;
}
