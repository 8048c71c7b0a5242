// Scalar math shared by the CPU kernels and mirrored in WGSL, so both backends compute the same function.

/**
 * erf within ~1.2 float32 ulp, the formula of the WGSL kernels (`erf_f`): on |x| < 1, x + x·P(x²)
 * (a degree-6 fit of erf(x)/x − 1); above, 1 − exp(−Q(|x|)) (N. Juffa's erff).
 */
export function erf(x: number): number {
  const t = Math.abs(x);
  if (Number.isNaN(t)) return t;
  if (t < 1) {
    const s = x * x;
    const p = ERF_SMALL.reduce((r, c) => r * s + c);
    return p * x + x;
  }
  const s = t * t;
  let r = (1.7294893e-5 * t - 3.8320868e-4) * s + (3.88393435e-3 * t - 2.42545605e-2);
  for (const c of [1.06777847e-1, 6.34846687e-1, 1.28717512e-1]) r = r * t + c;
  r = r * t + t;
  const y = 1 - Math.exp(-r);
  return x < 0 ? -y : y;
}
const ERF_SMALL = [
  7.667744648642838e-5, -7.952292799018323e-4, 5.181481596082449e-3, -2.684999816119671e-2,
  1.128348559141159e-1, -3.7612614035606384e-1, 1.2837916612625122e-1,
];

/**
 * aᵇ as C's `pow` (and so PyTorch) computes it. JavaScript's `Math.pow` differs only where the
 * result is 1: `pow(1, NaN)` and `pow(±1, ±inf)` are NaN in JavaScript and 1 in C.
 */
export const pow = (a: number, b: number): number =>
  a === 1 || (a === -1 && !Number.isFinite(b) && !Number.isNaN(b)) ? 1 : a ** b;

/** GELU with the exact (erf) form, PyTorch's default; −0 and underflows give +0 as PyTorch's does. */
export const gelu = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2)) + 0;

/** Derivative of GELU. */
export const geluGrad = (x: number): number =>
  0.5 * (1 + erf(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI);

const imul = Math.imul;
/** PCG hash of a 32-bit word (Jarzynski & Olano 2020); WGSL `pcg` is the same function. */
export function pcg(v: number): number {
  const state = (imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** Random 32-bit word number `i` of the stream of `seed`. */
export const randomWord = (seed: number, i: number): number => pcg((pcg(seed >>> 0) ^ (i >>> 0)) >>> 0);

/** Uniform in [0, 1) with 24 random bits: exactly representable in f32, so both backends agree bit for bit. */
export const uniform = (seed: number, i: number): number => (randomWord(seed, i) >>> 8) / 16777216;

/** Standard normal number `i` of the stream of `seed`, by Box–Muller over words 2i and 2i + 1 (WGSL `normal_f`). */
export function normal(seed: number, i: number): number {
  const k = (i * 2) >>> 0;
  const u1 = ((randomWord(seed, k) >>> 8) + 1) / 16777216;
  const u2 = uniform(seed, (k + 1) >>> 0);
  return Math.sqrt(-2 * Math.log(Math.fround(u1))) * Math.cos(2 * Math.PI * u2);
}
