// The quantization error of each 4-bit type against the shape of the data, shared by the benchmark's
// reproduction (bench/reproduce.mjs) and its test: which of NF4 and Int4 a block shape favours, and by
// how much. NF4's levels are normal quantiles and Int4's a uniform grid, so bell-shaped blocks favour
// NF4 and flat ones Int4; in between the two cross (near a per-block excess kurtosis of −0.6).
import { dequantize4bit, quantize4bit, withDoubleQuant } from '@tessera/quant';

/** Σ(q − x)² and Σx² of a 4-bit round trip, and their ratio. */
export function relativeMse(x, type, doubleQuant, blockSize = 64) {
  let q = quantize4bit(x, type, { blockSize });
  if (doubleQuant) q = withDoubleQuant(q);
  const back = dequantize4bit(q);
  let se = 0;
  let sx = 0;
  for (let i = 0; i < x.length; i++) {
    se += (back[i] - x[i]) ** 2;
    sx += x[i] ** 2;
  }
  return { se, sx, rel: se / sx };
}

/** Excess kurtosis of the values within each block of 64 around the block mean, averaged: 0 for Gaussian, −1.2 for uniform. */
export function blockKurtosis(arrays, block = 64) {
  let sum = 0;
  let n = 0;
  for (const x of arrays) {
    for (let b = 0; b + block <= x.length; b += block) {
      let m = 0;
      for (let i = b; i < b + block; i++) m += x[i] / block;
      let m2 = 0;
      let m4 = 0;
      for (let i = b; i < b + block; i++) {
        m2 += (x[i] - m) ** 2 / block;
        m4 += (x[i] - m) ** 4 / block;
      }
      if (m2 > 0) {
        sum += m4 / m2 ** 2 - 3;
        n++;
      }
    }
  }
  return sum / n;
}

/** mulberry32: uniform (0, 1) from a seed. */
function uniform(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
}

/** Gamma(a, 1) by Marsaglia and Tsang (a < 1 through Gamma(a + 1) · U^(1/a)). */
function gamma(a, u) {
  if (a < 1) return gamma(a + 1, u) * u() ** (1 / a);
  const d = a - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x;
    let v;
    do {
      x = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
      v = 1 + c * x;
    } while (v <= 0);
    v = v ** 3;
    if (Math.log(u()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

/** n samples of the symmetric Beta(a, a) on [−1, 1]: arcsine at a = 1/2, uniform at 1, Gaussian-like as a grows. */
function symmetricBeta(a, n, seed) {
  const u = uniform(seed);
  return Float32Array.from({ length: n }, () => {
    const g = gamma(a, u);
    return (2 * g) / (g + gamma(a, u)) - 1;
  });
}

const A_MIN = 0.5;
const A_MAX = 1000;

/**
 * Int4's error over NF4's on synthetic data of the given per-block kurtosis (measured as
 * {@link blockKurtosis} does): symmetric Beta(a, a) with a found by bisection; null above what a
 * Beta reaches (about −0.1, the estimator's reading of Gaussian blocks), where the data are at least as
 * bell-shaped as a Gaussian and NF4 is expected to win.
 */
export function predictedInt4OverNf4(kurtosis) {
  const kurtosisOf = (a) => blockKurtosis([symmetricBeta(a, 1 << 14, 1)]);
  if (kurtosis > kurtosisOf(A_MAX)) return null;
  let [lo, hi] = [Math.log(A_MIN), Math.log(A_MAX)];
  for (let i = 0; i < 30; i++) {
    const mid = (lo + hi) / 2;
    if (kurtosisOf(Math.exp(mid)) < kurtosis) lo = mid;
    else hi = mid;
  }
  const a = Math.exp((lo + hi) / 2);
  const x = symmetricBeta(a, 1 << 16, 2);
  return { a, ratio: relativeMse(x, 'int4', false).rel / relativeMse(x, 'nf4', false).rel };
}
