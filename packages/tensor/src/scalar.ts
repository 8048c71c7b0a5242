// Scalar math shared by the CPU kernels and mirrored in WGSL, so both backends compute the same function.

/** erf by Abramowitz & Stegun 7.1.26 refined: |error| < 1.5e-7, the same formula as the WGSL kernels. */
export function erf(x: number): number {
  const s = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-a * a);
  return s * y;
}

/** GELU with the exact (erf) form, PyTorch's default. */
export const gelu = (x: number): number => 0.5 * x * (1 + erf(x / Math.SQRT2));

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
