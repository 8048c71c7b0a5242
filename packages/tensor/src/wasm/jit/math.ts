import type { E, Lanes } from './lanes.js';

// Transcendental functions for the generated kernels, evaluated in double precision and rounded
// once to float32 by the caller, as the JavaScript reference does (it calls Math.* on doubles and
// rounds with Math.fround): each routine is accurate to ~1e-14 relative, so the float32 results
// match the reference except where a double lands within that of a float32 rounding boundary.
// Polynomials are Taylor series on intervals small enough for that accuracy. Every routine is
// branch-free (see Lanes), so it compiles to scalar f64 and to f64x2 SIMD alike.

/** Coefficients 1/0!, 1/1!, …, 1/n!. */
const factorials = (n: number): number[] => {
  const out = [1];
  for (let i = 1; i <= n; i++) out.push(out[i - 1] / i);
  return out;
};
const EXP_TAYLOR = factorials(12);
// ln 2 split so that k·LN2_HI is exact for |k| < 2^21 (fdlibm's constants).
const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;
/** 2·(1, 1/3, 1/5, …, 1/19): log(1 + f) = 2·atanh(s) = 2s·Σ s^2n/(2n+1) for s = f/(2 + f). */
const ATANH_SERIES = Array.from({ length: 10 }, (_, n) => 2 / (2 * n + 1));
/** x·Σ (−x²)^n/(2n+1), n ≤ 10: atan on |x| ≤ tan(π/16). */
const ATAN_SERIES = Array.from({ length: 11 }, (_, n) => (n % 2 ? -1 : 1) / (2 * n + 1));
/** sin r = r·Σ (−r²)^n/(2n+1)!, cos r = Σ (−r²)^n/(2n)!, accurate past |r| = π/4. */
const SIN_SERIES = Array.from({ length: 9 }, (_, n) => (n % 2 ? -1 : 1) * factorials(2 * n + 1)[2 * n + 1]);
const COS_SERIES = Array.from({ length: 10 }, (_, n) => (n % 2 ? -1 : 1) * factorials(2 * n)[2 * n]);
/** expm1 x = x·Σ x^n/(n+1)! near 0. */
const EXPM1_SERIES = factorials(14).slice(1);
/** scalar.ts's erf on |x| < 1, highest power first. */
const ERF_SMALL = [
  7.667744648642838e-5, -7.952292799018323e-4, 5.181481596082449e-3, -2.684999816119671e-2,
  1.128348559141159e-1, -3.7612614035606384e-1, 1.2837916612625122e-1,
];

/** e^x. Arguments are clamped to ±200, past which the float32 result is 0 or +inf anyway. */
export function exp(L: Lanes, x: E): E {
  const xc = L.let(L.bin('min', L.bin('max', x, L.const(-200)), L.const(200)));
  const k = L.let(L.un('nearest', L.mul(xc, L.const(Math.LOG2E))));
  const r = L.let(L.sub(L.sub(xc, L.mul(k, L.const(LN2_HI))), L.mul(k, L.const(LN2_LO))));
  const y = L.ldexp(L.poly(r, EXP_TAYLOR), k);
  // A NaN's payload could leak into the exponent bits: NaN in, NaN out.
  return L.select(L.cmp('ne', x, x), x, y);
}

/** log(1 + f) for f in [−0.3, 0.42]. */
function log1pNear(L: Lanes, f: E): E {
  const s = L.let(L.div(f, L.add(L.const(2), f)));
  return L.mul(s, L.poly(L.let(L.mul(s, s)), ATANH_SERIES));
}

/** x = m·2^e with m in [√½, √2): returns log(m) and e. `x` must be 0, normal or not finite (fixed up by the caller). */
function logParts(L: Lanes, x: E): { lm: E; e: E } {
  const m0 = L.let(L.mantissa(x));
  const e0 = L.let(L.exponent(x));
  const big = L.letMask(L.cmp('gt', m0, L.const(Math.SQRT2)));
  const m = L.select(big, L.mul(m0, L.const(0.5)), m0);
  const e = L.let(L.select(big, L.add(e0, L.const(1)), e0));
  return { lm: L.let(log1pNear(L, L.sub(m, L.const(1)))), e };
}

/** log at 0 (−inf), +inf (+inf), negatives and NaN (NaN). */
function logSpecial(L: Lanes, x: E, y: E): E {
  const inf = L.select(L.cmp('eq', x, L.const(Infinity)), x, y);
  const zero = L.select(L.cmp('eq', x, L.const(0)), L.const(-Infinity), inf);
  return L.select(L.not(L.cmp('ge', x, L.const(0))), L.const(Number.NaN), zero);
}

export function log(L: Lanes, x: E): E {
  const { lm, e } = logParts(L, x);
  return logSpecial(L, x, L.add(L.mul(e, L.const(LN2_HI)), L.add(lm, L.mul(e, L.const(LN2_LO)))));
}

/** log2: the exponent exactly, so powers of two give integers. */
export function log2(L: Lanes, x: E): E {
  const { lm, e } = logParts(L, x);
  return logSpecial(L, x, L.add(e, L.mul(lm, L.const(Math.LOG2E))));
}

export function log1p(L: Lanes, x: E): E {
  const near = L.cmp('lt', L.un('abs', x), L.const(0.29));
  return L.select(near, log1pNear(L, x), log(L, L.let(L.add(L.const(1), x))));
}

export function expm1(L: Lanes, x: E): E {
  const near = L.cmp('lt', L.un('abs', x), L.const(0.35));
  return L.select(near, L.mul(x, L.poly(x, EXPM1_SERIES)), L.sub(exp(L, x), L.const(1)));
}

/** tanh |x| = t/(t + 2) with t = expm1(2|x|): no cancellation near 0, exactly 1 once t is huge. */
export function tanh(L: Lanes, x: E): E {
  const t = L.let(expm1(L, L.let(L.mul(L.un('abs', x), L.const(2)))));
  return L.copysign(L.div(t, L.add(t, L.const(2))), x);
}

export const sigmoid = (L: Lanes, x: E): E =>
  L.div(L.const(1), L.add(L.const(1), exp(L, L.let(L.un('neg', x)))));

/** scalar.ts's erf, operation for operation (its exp is this file's). */
export function erf(L: Lanes, x: E): E {
  const t = L.let(L.un('abs', x));
  const s = L.let(L.mul(x, x));
  let p = L.const(ERF_SMALL[0]);
  for (const c of ERF_SMALL.slice(1)) p = L.add(L.mul(p, s), L.const(c));
  const small = L.add(L.mul(p, x), x);
  const tt = L.let(L.mul(t, t));
  let r = L.add(
    L.mul(L.sub(L.mul(L.const(1.7294893e-5), t), L.const(3.8320868e-4)), tt),
    L.sub(L.mul(L.const(3.88393435e-3), t), L.const(2.42545605e-2)),
  );
  for (const c of [1.06777847e-1, 6.34846687e-1, 1.28717512e-1]) r = L.add(L.mul(r, t), L.const(c));
  const rr = L.let(L.add(L.mul(r, t), t));
  const y = L.let(L.sub(L.const(1), exp(L, L.let(L.un('neg', rr)))));
  const large = L.select(L.cmp('lt', x, L.const(0)), L.un('neg', y), y);
  return L.select(L.cmp('lt', t, L.const(1)), small, large);
}

/** atan: |x| > 1 through π/2 − atan(1/|x|), then two half-angle steps to |t| ≤ tan(π/16) for the series. */
export function atan(L: Lanes, x: E): E {
  const a = L.let(L.un('abs', x));
  const inv = L.letMask(L.cmp('gt', a, L.const(1)));
  const t0 = L.let(L.select(inv, L.div(L.const(1), a), a));
  const half = (t: E) => L.let(L.div(t, L.add(L.const(1), L.un('sqrt', L.add(L.const(1), L.mul(t, t))))));
  const t2 = half(half(t0));
  const at = L.let(L.mul(L.const(4), L.mul(t2, L.poly(L.let(L.mul(t2, t2)), ATAN_SERIES))));
  return L.copysign(L.select(inv, L.sub(L.const(Math.PI / 2), at), at), x);
}

/** asin x = atan(x/√((1 − x)(1 + x))): ±π/2 at ±1, NaN outside [−1, 1]. */
export const asin = (L: Lanes, x: E): E =>
  atan(L, L.let(L.div(x, L.un('sqrt', L.mul(L.sub(L.const(1), x), L.add(L.const(1), x))))));

/** acos x = 2·atan(√((1 − x)/(1 + x))). */
export const acos = (L: Lanes, x: E): E =>
  L.mul(L.const(2), atan(L, L.let(L.un('sqrt', L.div(L.sub(L.const(1), x), L.add(L.const(1), x))))));

/** π/2 in four 28-bit pieces (and the rest): k·piece is exact for k < 2^25. */
export const HALF_PI_PIECES = halfPiPieces();
/** Below this, |x|·2/π < 2^25 and the piecewise reduction is exact enough; above, Math's functions are called. */
export const TRIG_REDUCED_MAX = 16777216;

/** sin, cos and tan of |x| < 2^24 on [0, π/4] after subtracting k·π/2 (exact piece by piece). */
export function trig(L: Lanes, x: E, which: 'sin' | 'cos' | 'tan'): E {
  const a = L.let(L.un('abs', x));
  const k = L.let(L.un('nearest', L.mul(a, L.const(2 / Math.PI))));
  let r = a;
  for (const p of HALF_PI_PIECES) r = L.let(L.sub(r, L.mul(k, L.const(p))));
  const z = L.let(L.mul(r, r));
  const s = L.let(L.mul(r, L.poly(z, SIN_SERIES)));
  const c = L.let(L.poly(z, COS_SERIES));
  // The quadrant q = k mod 4 picks ±sin r or ±cos r.
  const q = L.let(L.sub(k, L.mul(L.const(4), L.un('floor', L.mul(k, L.const(0.25))))));
  const odd = L.letMask(L.or(L.cmp('eq', q, L.const(1)), L.cmp('eq', q, L.const(3))));
  if (which === 'tan') {
    const t = L.select(odd, L.un('neg', L.div(c, s)), L.div(s, c));
    return L.mul(t, L.copysign(L.const(1), x));
  }
  if (which === 'sin') {
    const v = L.select(odd, c, s);
    const v2 = L.select(L.cmp('ge', q, L.const(2)), L.un('neg', v), v);
    // Odd: sin(−x) = −sin x, and sin(−0) = −0.
    return L.mul(v2, L.copysign(L.const(1), x));
  }
  const v = L.select(odd, s, c);
  return L.select(L.or(L.cmp('eq', q, L.const(1)), L.cmp('eq', q, L.const(2))), L.un('neg', v), v);
}

/**
 * C's pow (scalar.ts `pow`): |a|^b through exp(b·log|a|) in double (its error, ~1e-14 of the
 * result, stays far below float32's), then C99 Annex F's signs and special cases.
 */
export function pow(L: Lanes, a: E, b: E): E {
  const ax = L.let(L.un('abs', a));
  const mag = L.let(exp(L, L.let(L.mul(b, log(L, ax)))));
  const isInt = L.letMask(L.cmp('eq', L.un('floor', b), b));
  const halfB = L.let(L.mul(b, L.const(0.5)));
  const odd = L.and(isInt, L.cmp('ne', L.un('floor', halfB), halfB));
  const negative = L.letMask(L.cmp('lt', L.copysign(L.const(1), a), L.const(0)));
  let r = L.select(L.and(negative, odd), L.un('neg', mag), mag);
  // A finite negative base to a non-integer power has no real value.
  const finiteNegative = L.and(L.cmp('lt', a, L.const(0)), L.cmp('gt', a, L.const(-Infinity)));
  r = L.select(L.and(finiteNegative, L.not(isInt)), L.const(Number.NaN), r);
  const one = L.const(1);
  const unitToInf = L.and(L.cmp('eq', ax, one), L.cmp('eq', L.un('abs', b), L.const(Infinity)));
  const isOne = L.or(L.or(unitToInf, L.cmp('eq', b, L.const(0))), L.cmp('eq', a, one));
  return L.select(isOne, one, r);
}

export const rsqrt = (L: Lanes, x: E): E => L.div(L.const(1), L.un('sqrt', x));

/** π/2 from its hexadecimal digits, cut into pieces of 28 significant bits. */
function halfPiPieces(): number[] {
  // π = 3.243F6A88…, 384 fraction bits (the digits Blowfish's P-array is made of).
  const frac = BigInt(
    '0x243F6A8885A308D313198A2E03707344A4093822299F31D0082EFA98EC4E6C89452821E638D01377BE5466CF34E90C6C',
  );
  const bits = 384n;
  // π/2 scaled by 2^bits: (3 + frac/2^bits)/2.
  let rest = ((3n << bits) + frac) >> 1n;
  const pieces: number[] = [];
  let exp2 = 1n; // π/2 < 2: its leading bit is worth 2^0
  for (let i = 0; i < 4; i++) {
    // The next 28 bits below the current position, as a double: an integer < 2^28 times a power of two.
    const shift = bits - 27n + (exp2 - 1n);
    const top = rest >> shift;
    pieces.push(Number(top) * 2 ** Number(shift - bits));
    rest -= top << shift;
    exp2 -= 28n;
  }
  return pieces;
}
